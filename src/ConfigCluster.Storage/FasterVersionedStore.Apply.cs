using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Storage.Records;
using Google.Protobuf;

namespace ConfigCluster.Storage;

public sealed partial class FasterVersionedStore
{
    /// <summary>Request ids longer than this are not remembered (no deduplication).</summary>
    public const int MaxRequestIdLength = 128;

    /// <inheritdoc/>
    public CommandResult Apply(Command command, long raftIndex, long raftTerm)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (raftIndex <= appliedIndex)
            return new CommandResult { Code = ResultCode.ResultInvalid, Message = "entry already applied", Revision = revision };

        // A client that retries a write after an ambiguous failure reuses its request id: the
        // retry gets the first attempt's result and changes nothing.
        var requestKey = command.RequestId.Length is > 0 and <= MaxRequestIdLength ? RecordKeys.Request(command.RequestId) : null;
        var result = requestKey is not null && instance.ReadForWrite(requestKey) is { } remembered
            ? Remembered(remembered)
            : command.OpCase switch
            {
                Command.OpOneofCase.Put => ApplyPut(command, command.Put),
                Command.OpOneofCase.Delete => ApplyDelete(command, command.Delete),
                Command.OpOneofCase.Rollback => ApplyRollback(command, command.Rollback),
                Command.OpOneofCase.AddDataKey => ApplyAddDataKey(command, command.AddDataKey),
                Command.OpOneofCase.Rewrap => ApplyRewrap(command.Rewrap),
                _ => Invalid("command has no operation"),
            };
        if (requestKey is not null && !result.Deduplicated)
            instance.Upsert(requestKey, result.ToByteArray());
        Volatile.Write(ref appliedTerm, raftTerm);
        Volatile.Write(ref appliedIndex, raftIndex);
        return result;
    }

    /// <inheritdoc/>
    public void Skip(long raftIndex, long raftTerm)
    {
        if (raftIndex <= appliedIndex)
            return;
        Volatile.Write(ref appliedTerm, raftTerm);
        Volatile.Write(ref appliedIndex, raftIndex);
    }

    private CommandResult ApplyPut(Command command, PutOp put)
    {
        if (!KeyPath.TryFrom(put.Key, out var path, out var error))
            return Invalid(error);
        var head = ReadHead(path, forWrite: true);
        if (!ExpectationHolds(head, put.HasExpectedVersion, put.ExpectedVersion, out var mismatch))
            return mismatch;

        var live = head is { Deleted: false };
        if (live && put.Secret && !head!.Secret)
            return Invalid($"key '{path.Key}' exists and is not secret; delete it first to recreate it as a secret");

        // A key marked secret at creation stays secret for every later version, and a secret's
        // value must arrive sealed for exactly the version it becomes. A mismatch means the
        // accepting node built the command from a stale view: it re-reads and retries.
        var secret = live ? head!.Secret || put.Secret : put.Secret;
        var newVersion = (head?.LatestVersion ?? 0) + 1;
        if (secret != put.Encrypted || (put.Encrypted && put.SealedForVersion != newVersion))
            return Retry($"key '{path.Key}' changed while the write was prepared");
        return Append(path, head, command, VersionOperation.Put, put.Value, secret, rolledBackFrom: 0, put.Fingerprint);
    }

    private CommandResult ApplyDelete(Command command, DeleteOp delete)
    {
        if (!KeyPath.TryFrom(delete.Key, out var path, out var error))
            return Invalid(error);
        var head = ReadHead(path, forWrite: true);
        if (head is null or { Deleted: true })
            return new CommandResult { Code = ResultCode.ResultNotFound, Message = $"key '{path.Key}' not found", Revision = revision };
        if (!ExpectationHolds(head, delete.HasExpectedVersion, delete.ExpectedVersion, out var mismatch))
            return mismatch;
        return Append(path, head, command, VersionOperation.Delete, ByteString.Empty, head.Secret, rolledBackFrom: 0, ByteString.Empty);
    }

    private CommandResult ApplyRollback(Command command, RollbackOp rollback)
    {
        if (!KeyPath.TryFrom(rollback.Key, out var path, out var error))
            return Invalid(error);
        var head = ReadHead(path, forWrite: true);
        if (head is null)
            return new CommandResult { Code = ResultCode.ResultNotFound, Message = $"key '{path.Key}' not found", Revision = revision };
        if (rollback.ToVersion < 1 || rollback.ToVersion > head.LatestVersion)
            return new CommandResult { Code = ResultCode.ResultVersionNotFound, Message = $"key '{path.Key}' has no version {rollback.ToVersion}", Revision = revision };
        var target = ReadVersion(path, rollback.ToVersion, forWrite: true);
        if (target is null)
            return new CommandResult { Code = ResultCode.ResultVersionNotFound, Message = $"version {rollback.ToVersion} of key '{path.Key}' is no longer kept", Revision = revision };
        if (target.Operation == VersionOperation.Delete)
            return Invalid($"version {rollback.ToVersion} of key '{path.Key}' is a deletion; nothing to roll back to");

        // A secret's envelope is bound to its version, so the accepting node re-seals the old
        // value for the new version and sends it along.
        var secret = head.Secret || target.Secret;
        if (secret != rollback.HasReplacement || (secret && rollback.SealedForVersion != head.LatestVersion + 1))
            return Retry($"key '{path.Key}' changed while the rollback was prepared");
        return secret
            ? Append(path, head, command, VersionOperation.Rollback, rollback.ReplacementValue, secret: true, rollback.ToVersion, rollback.Fingerprint)
            : Append(path, head, command, VersionOperation.Rollback, target.Value, secret: false, rollback.ToVersion, ByteString.Empty);
    }

    // expected == latest version matches; expected 0 also matches a key that is absent or deleted.
    private bool ExpectationHolds(KeyHead? head, bool hasExpected, long expected, out CommandResult mismatch)
    {
        mismatch = null!;
        if (!hasExpected)
            return true;
        var current = head?.LatestVersion ?? 0;
        if (expected == current || (expected == 0 && head is null or { Deleted: true }))
            return true;
        mismatch = new CommandResult
        {
            Code = ResultCode.ResultVersionMismatch,
            CurrentVersion = head is { Deleted: true } ? 0 : current,
            Message = $"expected version {expected} but the key is at version {current}",
            Revision = revision,
        };
        return false;
    }

    private CommandResult Append(KeyPath path, KeyHead? head, Command command, VersionOperation operation, ByteString value, bool secret, long rolledBackFrom, ByteString fingerprint)
    {
        var newRevision = revision + 1;
        var newVersion = (head?.LatestVersion ?? 0) + 1;
        var record = new VersionRecord
        {
            Version = newVersion,
            Revision = newRevision,
            Operation = operation,
            Value = value,
            Secret = secret,
            Author = command.Author,
            TimestampUnixMs = command.TimestampUnixMs,
            RolledBackFrom = rolledBackFrom,
            Fingerprint = fingerprint,
        };
        var newHead = new KeyHead
        {
            LatestVersion = newVersion,
            LatestRevision = newRevision,
            Deleted = operation == VersionOperation.Delete,
            Secret = secret,
            CreateRevision = head is null or { Deleted: true } ? newRevision : head.CreateRevision,
        };

        // Version first, then head: a reader that sees the new head always finds its version.
        instance.Upsert(RecordKeys.Version(path, newVersion), record.ToByteArray());
        instance.Upsert(RecordKeys.Change(newRevision), new ChangeRecord { Namespace = path.Namespace, Environment = path.Environment, Key = path.Key, Version = newVersion }.ToByteArray());
        instance.Upsert(RecordKeys.Head(path), newHead.ToByteArray());
        if (head is null)
            index.Add(RecordKeys.Composite(path));
        Volatile.Write(ref revision, newRevision);
        return new CommandResult { Code = ResultCode.ResultOk, Version = newVersion, Revision = newRevision };
    }

    private static CommandResult Remembered(byte[] bytes)
    {
        var result = CommandResult.Parser.ParseFrom(bytes);
        result.Deduplicated = true;
        return result;
    }

    private CommandResult Retry(string message)
        => new() { Code = ResultCode.ResultRetry, Message = message, Revision = revision };

    private CommandResult Invalid(string message)
        => new() { Code = ResultCode.ResultInvalid, Message = message, Revision = revision };
}
