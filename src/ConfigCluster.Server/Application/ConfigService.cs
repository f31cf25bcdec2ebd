using System.Text;
using System.Text.Json;
using ConfigCluster.Consensus;
using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Server.Secrets;
using ConfigCluster.Storage;
using DotNext.Net.Cluster.Consensus.Raft;
using Google.Protobuf;

namespace ConfigCluster.Server.Application;

/// <summary>
/// The one place both edges (gRPC and HTTP) go through. Writes: validate, build the command
/// (time and author travel inside it), commit through <see cref="WriteCoordinator"/>. Reads:
/// read barrier unless serializable, then the local store.
/// Authorization and secret encryption belong between validation and <c>SubmitAsync</c>.
/// </summary>
public sealed class ConfigService(RaftNode node, WriteCoordinator writes, SecretKeyring keyring, Acl.PolicyEvaluator policies, NodeSettings settings, TimeProvider clock)
{
    /// <summary>Author recorded on versions until access control names the caller.</summary>
    public const string AnonymousAuthor = "anonymous";

    /// <summary>How often a write built from a stale view (see <see cref="ResultCode.ResultRetry"/>) is rebuilt.</summary>
    private const int MaxRetries = 5;

    /// <summary>Default and largest page size of a listing.</summary>
    public const int DefaultListLimit = 1000, MaxListLimit = 10_000;

    public IVersionedStore Store => node.Store;

    public async Task<Outcome<StoredVersion>> GetAsync(KeyPath path, long version, ReadConsistency consistency, CancellationToken token)
    {
        if (version < 0)
            return new ConfigError(ConfigErrorCode.InvalidArgument, "version must be 1 or more");
        if (await BarrierAsync(consistency, token) is { } error)
            return error;
        var found = version > 0 ? node.Store.Get(path, version) : ResolveEffective(path, out _);
        if (found is null)
            return new ConfigError(ConfigErrorCode.NotFound, version > 0 ? $"key '{path.Key}' has no version {version}" : $"key '{path.Key}' not found");
        if (version == 0 && found.IsDeletion)
            return new ConfigError(ConfigErrorCode.NotFound, $"key '{path.Key}' not found ({(found.Operation == VersionKind.Mask ? "masked" : "deleted")} in '{found.Path.Environment}' at version {found.Version})");
        if (!found.Secret || found.IsDeletion)
            return found;

        // The one place a secret is decrypted: an explicit read of the key.
        if (keyring.SealedReason is { } sealedReason)
            return new ConfigError(ConfigErrorCode.Sealed, $"this node is sealed and cannot reveal secrets: {sealedReason}");
        return keyring.TryOpen(found.Value.Span, path, found.Version, out var plaintext, out var openError)
            ? found with { Value = plaintext }
            : new ConfigError(ConfigErrorCode.Internal, openError);
    }

    /// <summary>
    /// The effective latest version of a key in an environment: its own when live, else the
    /// nearest ancestor's; a mask stops the search (and is returned). Null when none has it.
    /// </summary>
    public StoredVersion? ResolveEffective(KeyPath path, out IReadOnlyList<string> chain)
    {
        chain = node.Store.InheritanceChain(path.Namespace, path.Environment);
        StoredVersion? tombstone = null;
        foreach (var env in chain)
        {
            if (!KeyPath.TryCreate(path.Namespace, env, path.Key, out var candidate, out _) || node.Store.Get(candidate) is not { } head)
                continue;
            if (!head.IsDeletion || head.Operation == VersionKind.Mask)
                return head;
            tombstone ??= head;
        }

        return tombstone;
    }

    public async Task<Outcome<IReadOnlyList<StoredVersion>>> HistoryAsync(KeyPath path, ReadConsistency consistency, CancellationToken token)
    {
        if (await BarrierAsync(consistency, token) is { } error)
            return error;
        var versions = node.Store.History(path);
        return versions.Count == 0 ? new ConfigError(ConfigErrorCode.NotFound, $"key '{path.Key}' not found") : Outcome<IReadOnlyList<StoredVersion>>.From(versions);
    }

    public async Task<Outcome<ListPage>> ListAsync(string? ns, string? env, string? prefix, string? after, int limit, bool includeDeleted, ReadConsistency consistency, CancellationToken token)
    {
        ns = string.IsNullOrEmpty(ns) ? KeyPath.DefaultScope : ns;
        env = string.IsNullOrEmpty(env) ? KeyPath.DefaultScope : env;
        if (!KeyPath.TryValidateScope(ns, "namespace", out var invalid) || !KeyPath.TryValidateScope(env, "environment", out invalid)
            || !KeyPath.TryValidatePrefix(prefix, out invalid) || !KeyPath.TryValidatePrefix(after, out invalid))
            return new ConfigError(ConfigErrorCode.InvalidArgument, invalid);
        if (limit < 0 || limit > MaxListLimit)
            return new ConfigError(ConfigErrorCode.InvalidArgument, $"limit must be between 1 and {MaxListLimit}");
        if (await BarrierAsync(consistency, token) is { } error)
            return error;
        var page = node.Store.List(ns, env, prefix ?? "", after, limit == 0 ? DefaultListLimit : limit, includeDeleted);

        // A list shows only the keys the caller may list.
        return Acl.CallerIdentity.Current is { } caller
            ? page with { Items = [.. page.Items.Where(item => policies.IsAllowed(caller, Acl.Capability.List, ns, env, item.Path.Key))] }
            : page;
    }

    public Task<Outcome<WriteResult>> PutAsync(KeyPath path, string valueJson, bool secret, long? expectedVersion, string? requestId, CancellationToken token)
    {
        var bytes = Encoding.UTF8.GetBytes(valueJson);
        if (bytes.Length > settings.MaxValueBytes)
            return Task.FromResult<Outcome<WriteResult>>(new ConfigError(ConfigErrorCode.TooLarge, $"value is {bytes.Length} bytes; the limit is {settings.MaxValueBytes}"));
        if (!IsJson(bytes))
            return Task.FromResult<Outcome<WriteResult>>(new ConfigError(ConfigErrorCode.InvalidArgument, "value must be valid JSON (a string value needs quotes)"));
        if (expectedVersion < 0)
            return Task.FromResult<Outcome<WriteResult>>(new ConfigError(ConfigErrorCode.InvalidArgument, "expectedVersion must be 0 or more"));

        return PutCoreAsync(path, bytes, secret, expectedVersion, requestId, token);
    }

    private async Task<Outcome<WriteResult>> PutCoreAsync(KeyPath path, byte[] bytes, bool secret, long? expectedVersion, string? requestId, CancellationToken token)
    {
        for (var attempt = 0; ; attempt++)
        {
            var put = new PutOp { Key = path.ToStoreKey(), Value = ByteString.CopyFrom(bytes), Secret = secret };
            if (expectedVersion is { } expected)
            {
                put.HasExpectedVersion = true;
                put.ExpectedVersion = expected;
            }

            // A secret is sealed here, before the command exists, so the log never holds plaintext.
            var head = node.Store.Get(path);
            var live = head is { IsDeletion: false };
            if ((live && head!.Secret) || (secret && !live))
            {
                if (await SealAsync(path, bytes, (head?.Version ?? 0) + 1, token) is not { } sealedValue)
                    return SealError(path);
                if (sealedValue.Error is { } sealError)
                    return sealError;
                put.Value = ByteString.CopyFrom(sealedValue.Envelope);
                put.Fingerprint = ByteString.CopyFrom(sealedValue.Fingerprint);
                put.Encrypted = true;
                put.SealedForVersion = (head?.Version ?? 0) + 1;
            }

            var outcome = await SubmitAsync(path, NewCommand(requestId, put: put), token);
            if (outcome.Error is not { Code: ConfigErrorCode.Retry } || attempt >= MaxRetries)
                return outcome;
            if (await BarrierAsync(ReadConsistency.Linearizable, token) is { } barrierError)
                return barrierError;
        }
    }

    public Task<Outcome<WriteResult>> DeleteAsync(KeyPath path, long? expectedVersion, string? requestId, CancellationToken token, bool mask = false)
    {
        var delete = new DeleteOp { Key = path.ToStoreKey(), Mask = mask };
        if (expectedVersion is { } expected)
        {
            delete.HasExpectedVersion = true;
            delete.ExpectedVersion = expected;
        }

        return SubmitAsync(path, NewCommand(requestId, delete: delete), token);
    }

    public async Task<Outcome<WriteResult>> RollbackAsync(KeyPath path, long toVersion, string? requestId, CancellationToken token)
    {
        if (toVersion < 1)
            return new ConfigError(ConfigErrorCode.InvalidArgument, "version must be 1 or more");
        for (var attempt = 0; ; attempt++)
        {
            var rollback = new RollbackOp { Key = path.ToStoreKey(), ToVersion = toVersion };
            var head = node.Store.Get(path);
            var target = node.Store.Get(path, toVersion);
            if (head is not null && target is { IsDeletion: false } && (head.Secret || target.Secret))
            {
                // The old envelope is bound to its version: open it and re-seal for the new one.
                if (keyring.SealedReason is not null)
                    return SealError(path);
                if (!keyring.TryOpen(target.Value.Span, path, toVersion, out var plaintext, out var openError))
                    return new ConfigError(ConfigErrorCode.Internal, openError);
                if (await SealAsync(path, plaintext, head.Version + 1, token) is not { } sealedValue)
                    return SealError(path);
                if (sealedValue.Error is { } sealError)
                    return sealError;
                rollback.HasReplacement = true;
                rollback.ReplacementValue = ByteString.CopyFrom(sealedValue.Envelope);
                rollback.Fingerprint = ByteString.CopyFrom(sealedValue.Fingerprint);
                rollback.SealedForVersion = head.Version + 1;
            }

            var outcome = await SubmitAsync(path, NewCommand(requestId, rollback: rollback), token);
            if (outcome.Error is not { Code: ConfigErrorCode.Retry } || attempt >= MaxRetries)
                return outcome;
            if (await BarrierAsync(ReadConsistency.Linearizable, token) is { } barrierError)
                return barrierError;
        }
    }

    private sealed record SealedValue(byte[] Envelope, byte[] Fingerprint, ConfigError? Error);

    // Seals a secret value; makes the keyring's first data key when there is none yet.
    private async Task<SealedValue?> SealAsync(KeyPath path, byte[] plaintext, long version, CancellationToken token)
    {
        if (keyring.MasterKey is not { } masterKey)
            return null;
        if (!keyring.HasDataKey)
        {
            var (keyId, wrapped) = masterKey.NewWrappedDataKey();
            var added = await writes.SubmitAsync(NewCommand(null, addDataKey: new AddDataKeyOp { KeyId = ByteString.CopyFrom(keyId), WrappedKey = ByteString.CopyFrom(wrapped) }), token);
            if (added.Error is { } addError)
                return new SealedValue([], [], addError);

            // The key was applied on the leader; make sure this node has applied it too.
            if (await BarrierAsync(ReadConsistency.Linearizable, token) is { } barrierError)
                return new SealedValue([], [], barrierError);
        }

        return keyring.TrySeal(plaintext, path, version, out var envelope, out var fingerprint, out var error)
            ? new SealedValue(envelope, fingerprint, null)
            : new SealedValue([], [], new ConfigError(ConfigErrorCode.Sealed, error));
    }

    /// <summary>Seals a secret value for <paramref name="version"/> of <paramref name="path"/> (change-sets use it).</summary>
    public async Task<Outcome<(byte[] Envelope, byte[] Fingerprint)>> SealForWriteAsync(KeyPath path, byte[] plaintext, long version, CancellationToken token)
    {
        if (await SealAsync(path, plaintext, version, token) is not { } sealedValue)
            return SealError(path);
        return sealedValue.Error is { } error ? error : (sealedValue.Envelope, sealedValue.Fingerprint);
    }

    private ConfigError SealError(KeyPath path)
        => new(ConfigErrorCode.Sealed, $"this node is sealed and cannot write secret '{path.Key}': {keyring.SealedReason}");

    /// <summary>Commits an administrative command (keyring changes) as is.</summary>
    public Task<Outcome<CommandResult>> SubmitRawAsync(Command command, CancellationToken token) => writes.SubmitAsync(command, token);

    /// <summary>Builds a command stamped with this node's time and the author.</summary>
    public Command NewCommand(string? requestId, PutOp? put = null, DeleteOp? delete = null, RollbackOp? rollback = null, AddDataKeyOp? addDataKey = null, RewrapOp? rewrap = null)
    {
        var command = new Command
        {
            // Only a client-chosen id is remembered for deduplication; none means none.
            RequestId = requestId ?? "",
            TimestampUnixMs = clock.GetUtcNow().ToUnixTimeMilliseconds(),
            // The author of every version is the caller's token name.
            Author = Acl.CallerIdentity.Current?.Name ?? AnonymousAuthor,
        };
        if (put is not null)
            command.Put = put;
        else if (delete is not null)
            command.Delete = delete;
        else if (rollback is not null)
            command.Rollback = rollback;
        else if (addDataKey is not null)
            command.AddDataKey = addDataKey;
        else
            command.Rewrap = rewrap;
        return command;
    }

    private async Task<Outcome<WriteResult>> SubmitAsync(KeyPath path, Command command, CancellationToken token)
    {
        if (command.RequestId.Length > FasterVersionedStore.MaxRequestIdLength)
            return new ConfigError(ConfigErrorCode.InvalidArgument, $"request id is longer than {FasterVersionedStore.MaxRequestIdLength} characters");
        var outcome = await writes.SubmitAsync(command, token);
        if (outcome.Error is { } error)
            return error;
        var result = outcome.Value!;
        return result.Code switch
        {
            ResultCode.ResultOk => new WriteResult(path, result.Version, result.Revision),
            ResultCode.ResultNotFound or ResultCode.ResultVersionNotFound => new ConfigError(ConfigErrorCode.NotFound, result.Message),
            ResultCode.ResultVersionMismatch => new ConfigError(ConfigErrorCode.VersionMismatch, result.Message) { CurrentVersion = result.CurrentVersion },
            ResultCode.ResultInvalid => new ConfigError(ConfigErrorCode.InvalidArgument, result.Message),
            ResultCode.ResultRetry => new ConfigError(ConfigErrorCode.Retry, result.Message),
            _ => new ConfigError(ConfigErrorCode.Internal, "the store could not apply the write"),
        };
    }

    /// <summary>Waits until this node has applied everything committed so far (a read barrier).</summary>
    public Task<ConfigError?> CatchUpAsync(CancellationToken token) => BarrierAsync(ReadConsistency.Linearizable, token);

    private async Task<ConfigError?> BarrierAsync(ReadConsistency consistency, CancellationToken token)
    {
        if (consistency == ReadConsistency.Serializable)
            return null;
        // A leader change (or loss) ends the wait at once: the client tries another node.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token, node.LeaderEpoch, node.LeaderContact);
        // Without a leader in sight, answer soon so the client tries another node.
        deadline.CancelAfter(node.HasLeader ? settings.ReadTimeout : WriteCoordinator.NoLeaderGrace);
        try
        {
            await node.ReadBarrierAsync(deadline.Token);
            return null;
        }
        catch (Exception e) when (!token.IsCancellationRequested && e is QuorumUnreachableException or OperationCanceledException or TimeoutException
                                      or DotNext.Net.Cluster.MemberUnavailableException or LeaderOperationException or IOException)
        {
            // Leadership is moving (or the quorum is gone): nothing is known to be current.
            return new ConfigError(ConfigErrorCode.Unavailable, "no leader could confirm this read is current; retry, or ask for consistency=serializable");
        }
    }

    private static bool IsJson(byte[] bytes)
    {
        try
        {
            var reader = new Utf8JsonReader(bytes);
            if (!JsonDocument.TryParseValue(ref reader, out var document))
                return false;
            using (document)
                return reader.BytesConsumed == bytes.Length || IsTrailingWhitespace(bytes.AsSpan((int)reader.BytesConsumed));
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool IsTrailingWhitespace(ReadOnlySpan<byte> rest)
    {
        foreach (var b in rest)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
                return false;
        }

        return true;
    }
}
