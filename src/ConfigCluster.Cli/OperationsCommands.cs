using System.CommandLine;

namespace ConfigCluster.Cli;

/// <summary>
/// Operator commands: <c>snapshot save|restore</c>, <c>member list|add|remove</c>, <c>leader transfer</c>,
/// <c>retention get|set|compact</c>, <c>keys list|rotate|rewrap</c>.
/// </summary>
internal static class OperationsCommands
{
    public static Command Snapshot()
    {
        var saveFile = new Argument<string>("file") { Description = "where to write the snapshot" };
        var local = new Option<bool>("--local") { Description = "the one node named by --endpoints, its own state, without a quorum (disaster recovery)" };
        var keyFile = new Option<string?>("--key-file") { Description = "seal the backup with this backup key (32 bytes, base64): signed (HMAC-SHA256), or encrypted with --encrypt" };
        var encrypt = new Option<bool>("--encrypt") { Description = "with --key-file: encrypt the whole backup (AES-256-GCM), not only sign it" };
        var save = new Command("save", "stream a consistent point-in-time snapshot of the cluster into FILE (secrets stay ciphertext)") { saveFile, local, keyFile, encrypt };
        save.SetAction(Run.With(async (parse, client, token) =>
        {
            var path = parse.GetValue(saveFile)!;
            if (parse.GetValue(encrypt) && parse.GetValue(keyFile) is null)
                throw new ArgumentException("--encrypt needs --key-file");
            var partial = path + ".part";
            SavedSnapshot info;
            await using (var output = new FileStream(partial, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                var saved = await client.SaveSnapshotAsync(output, parse.GetValue(local), token);
                info = new SavedSnapshot(path, saved.Revision, saved.Size, saved.Sha256, saved.RaftIndex);
            }

            if (parse.GetValue(keyFile) is { } keyPath)
            {
                var key = Core.Crypto.BackupEnvelope.ReadKeyFile(keyPath);
                var protection = parse.GetValue(encrypt) ? Core.Crypto.BackupProtection.Encrypted : Core.Crypto.BackupProtection.Signed;
                var sealedPath = partial + ".sealed";
                await using (var input = File.OpenRead(partial))
                await using (var output = new FileStream(sealedPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
                    await Core.Crypto.BackupEnvelope.SealAsync(input, output, key, protection, token);
                File.Delete(partial);
                partial = sealedPath;
            }

            File.Move(partial, path, overwrite: true);
            if (GlobalOptions.Json(parse))
                Output.Json(new { file = info.File, revision = info.Revision, raftIndex = info.RaftIndex, size = info.Size, sha256 = info.Sha256 });
            else
                Console.WriteLine($"saved {info.File}: revision {info.Revision}, Raft index {info.RaftIndex}, {info.Size} bytes, sha256 {info.Sha256}");
        }));

        var restore = SnapshotRestore.Create();
        return new Command("snapshot", "backup and restore") { save, restore };
    }

    public static Command Member()
    {
        var list = new Command("list", "the members, their client URLs and who leads");
        list.SetAction(Run.With(async (parse, client, token) => Print(parse, await client.ListMembersAsync(token))));
        var raft = new Argument<string>("raft") { Description = "the new node's Raft endpoint, HOST:PORT (its --raft; start it with --join)" };
        var add = new Command("add", "add a node started with --join; it is caught up before it votes") { raft };
        add.SetAction(Run.With(async (parse, client, token) => Print(parse, await client.AddMemberAsync(parse.GetValue(raft)!, token))));
        var nodeId = new Argument<string>("node-id");
        var remove = new Command("remove", "remove a member (refused if the rest could not form a majority)") { nodeId };
        remove.SetAction(Run.With(async (parse, client, token) => Print(parse, await client.RemoveMemberAsync(parse.GetValue(nodeId)!, token))));
        return new Command("member", "cluster membership") { list, add, remove };
    }

    private static void Print(ParseResult parse, IReadOnlyList<Contracts.V1.Member> members)
    {
        if (GlobalOptions.Json(parse))
        {
            Output.Json(members.Select(static m => new { nodeId = m.NodeId, raft = m.Raft, http = m.Http, grpc = m.Grpc, healthy = m.Healthy, leader = m.IsLeader }));
            return;
        }

        Output.Table(["node", "raft", "grpc", "healthy", "leader"], members.Select(static m => (IReadOnlyList<string>)[m.NodeId, m.Raft, m.Grpc, m.Healthy ? "yes" : "no", m.IsLeader ? "*" : ""]));
    }

    public static Command Leader()
    {
        var to = new Option<string?>("--to") { Description = "node id of the member that should lead (default: any other member)" };
        var transfer = new Command("transfer", "hand leadership over for maintenance: the leader steps down and another member is elected") { to };
        transfer.SetAction(Run.With(async (parse, client, token) =>
        {
            var answer = await client.TransferLeadershipAsync(parse.GetValue(to), token);
            if (GlobalOptions.Json(parse))
                Output.Json(new { previousLeader = answer.PreviousLeader, leader = answer.Leader, term = answer.Term });
            else
                Console.WriteLine($"leader is now {answer.Leader} (was {answer.PreviousLeader}; term {answer.Term})");
        }));
        return new Command("leader", "leadership") { transfer };
    }

    public static Command Retention()
    {
        var get = new Command("get", "the namespace's history retention (--ns)");
        get.SetAction(Run.With(async (parse, client, token) => Print(parse, await client.GetRetentionAsync(token: token))));
        var maxVersions = new Option<long>("--max-versions") { Description = "keep at most N versions per key (0 = no limit; the newest is always kept)" };
        var maxAge = new Option<string?>("--max-age") { Description = "keep versions younger than this, e.g. 720h or 30d (0 = no limit)" };
        var set = new Command("set", "set the namespace's history retention (--ns); compaction applies it") { maxVersions, maxAge };
        set.SetAction(Run.With(async (parse, client, token) =>
        {
            var age = parse.GetValue(maxAge) is { } text && text != "0" ? ParseAge(text) : TimeSpan.Zero;
            Print(parse, await client.SetRetentionAsync(parse.GetValue(maxVersions), age, token: token));
        }));
        var compact = new Command("compact", "apply the namespace's retention now (--ns)");
        compact.SetAction(Run.With(async (parse, client, token) =>
        {
            var answer = await client.CompactAsync(token: token);
            if (GlobalOptions.Json(parse))
                Output.Json(new { removed = answer.Removed, oldestRevision = answer.OldestRevision });
            else
                Console.WriteLine($"removed {answer.Removed} versions; oldest kept revision {answer.OldestRevision}");
        }));
        return new Command("retention", "history retention per namespace") { get, set, compact };
    }

    // 30d, 720h, 90m, 3600s.
    private static TimeSpan ParseAge(string text)
    {
        var unit = text[^1];
        if (!long.TryParse(text[..^1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var amount) || amount < 0)
            throw new FormatException($"--max-age: '{text}' is not a duration like 720h or 30d");
        return unit switch
        {
            'd' => TimeSpan.FromDays(amount),
            'h' => TimeSpan.FromHours(amount),
            'm' => TimeSpan.FromMinutes(amount),
            's' => TimeSpan.FromSeconds(amount),
            _ => throw new FormatException($"--max-age: '{text}' is not a duration like 720h or 30d"),
        };
    }

    private static void Print(ParseResult parse, Contracts.V1.Retention retention)
    {
        if (GlobalOptions.Json(parse))
            Output.Json(new { @namespace = retention.Namespace, maxVersions = retention.MaxVersions, maxAgeSeconds = retention.MaxAgeSeconds, oldestRevision = retention.OldestRevision });
        else
            Console.WriteLine($"namespace {retention.Namespace}: max versions {(retention.MaxVersions == 0 ? "unlimited" : retention.MaxVersions)}, max age {(retention.MaxAgeSeconds == 0 ? "unlimited" : TimeSpan.FromSeconds(retention.MaxAgeSeconds).ToString())}; oldest kept revision {retention.OldestRevision}");
    }

    public static Command Keys()
    {
        var list = new Command("list", "data keys and how many secret versions each seals");
        list.SetAction(Run.With(async (parse, client, token) => Print(parse, await client.GetKeyringAsync(token))));
        var rotate = new Command("rotate", "add a new data key; new secret writes use it");
        rotate.SetAction(Run.With(async (parse, client, token) => Print(parse, await client.RotateDataKeyAsync(token))));
        var batch = new Option<int>("--batch") { Description = "versions per log entry (default 100, at most 1000)" };
        var rewrap = new Command("rewrap", "re-seal stored secret versions under the newest data key") { batch };
        rewrap.SetAction(Run.With(async (parse, client, token) =>
        {
            var answer = await client.RewrapAsync(parse.GetValue(batch), token);
            if (!GlobalOptions.Json(parse))
                Console.WriteLine($"rewrapped {answer.Rewrapped} versions in {answer.Batches} log entries");
            Print(parse, answer.Status);
        }));
        return new Command("keys", "the secrets keyring") { list, rotate, rewrap };
    }

    private static void Print(ParseResult parse, Contracts.V1.KeyringStatus status)
    {
        if (GlobalOptions.Json(parse))
        {
            Output.Json(new { keys = status.Keys.Select(static k => new { k.Sequence, k.Id, k.SealedVersions, k.Newest }), pendingRewrap = status.PendingRewrap });
            return;
        }

        Output.Table(["seq", "id", "sealed", "newest"], status.Keys.Select(static k => (IReadOnlyList<string>)[k.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), k.Id, k.SealedVersions.ToString(System.Globalization.CultureInfo.InvariantCulture), k.Newest ? "*" : ""]));
        Console.WriteLine($"pending rewrap: {status.PendingRewrap}");
    }

    private sealed record SavedSnapshot(string File, long Revision, long Size, string Sha256, long RaftIndex);
}
