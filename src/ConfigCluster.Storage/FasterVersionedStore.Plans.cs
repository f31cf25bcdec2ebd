using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Storage.Records;
using Google.Protobuf;

namespace ConfigCluster.Storage;

public sealed partial class FasterVersionedStore
{
    /// <summary>One version about to be written, or why it cannot be.</summary>
    private sealed record Plan(KeyPath Path, KeyHead? Head, VersionOperation Operation, ByteString Value, bool Secret, long RolledBackFrom, ByteString Fingerprint)
    {
        public CommandResult? Failure { get; private init; }

        /// <summary>How the value's bytes are read (the command format's ValueKind; 0 = JSON).</summary>
        public int Kind { get; init; }

        /// <summary>Opaque flags kept with the version.</summary>
        public ulong Flags { get; init; }

        /// <summary>A check (change-set item): asserts the key's version, writes nothing.</summary>
        public bool CheckOnly { get; init; }

        public long NewVersion => (Head?.LatestVersion ?? 0) + 1;

        public static Plan Fail(CommandResult failure) => new(default, null, default, ByteString.Empty, false, 0, ByteString.Empty) { Failure = failure };
    }

    private Plan PlanPut(PutOp put)
    {
        if (!KeyPath.TryFrom(put.Key, out var path, out var error))
            return Plan.Fail(Invalid(error));
        if (TooLarge(path, put.Value) is { } tooLarge)
            return Plan.Fail(tooLarge);
        var head = ReadHead(path, forWrite: true);
        if (!ExpectationHolds(path, head, put.HasExpectedVersion, put.ExpectedVersion, out var mismatch))
            return Plan.Fail(mismatch);

        var live = head is { Deleted: false };
        if (live && put.Secret && !head!.Secret)
            return Plan.Fail(Invalid($"key '{path.Key}' exists and is not secret; delete it first to recreate it as a secret"));

        // A key marked secret at creation stays secret for every later version, and a secret's
        // value must arrive sealed for exactly the version it becomes. A mismatch means the
        // accepting node built the command from a stale view: it re-reads and retries.
        var secret = live ? head!.Secret || put.Secret : put.Secret;
        if (put.ValueKind == ValueKind.Bytes && secret)
            return Plan.Fail(Invalid($"key '{path.Key}' is secret; raw byte values are stored only for plain keys"));
        var plan = new Plan(path, head, VersionOperation.Put, put.Value, secret, 0, put.Fingerprint) { Kind = (int)put.ValueKind, Flags = put.Flags };
        if (secret != put.Encrypted || (put.Encrypted && put.SealedForVersion != plan.NewVersion))
            return Plan.Fail(Retry($"key '{path.Key}' changed while the write was prepared"));
        return plan;
    }

    private Plan PlanDelete(DeleteOp delete)
    {
        if (!KeyPath.TryFrom(delete.Key, out var path, out var error))
            return Plan.Fail(Invalid(error));
        var head = ReadHead(path, forWrite: true);
        if (!ExpectationHolds(path, head, delete.HasExpectedVersion, delete.ExpectedVersion, out var mismatch))
            return Plan.Fail(mismatch);

        // Masking hides an inherited value, so it applies whether or not this environment has the key.
        if (delete.Mask)
            return head is { Masked: true }
                ? Plan.Fail(NotFound($"key '{path.Key}' is already masked"))
                : new Plan(path, head, VersionOperation.Mask, ByteString.Empty, head?.Secret ?? false, 0, ByteString.Empty);
        if (head is null or { Deleted: true })
            return Plan.Fail(NotFound($"key '{path.Key}' not found"));
        return new Plan(path, head, VersionOperation.Delete, ByteString.Empty, head.Secret, 0, ByteString.Empty);
    }

    private Plan PlanRollback(RollbackOp rollback)
    {
        if (!KeyPath.TryFrom(rollback.Key, out var path, out var error))
            return Plan.Fail(Invalid(error));
        var head = ReadHead(path, forWrite: true);
        if (head is null)
            return Plan.Fail(NotFound($"key '{path.Key}' not found"));
        if (rollback.ToVersion < 1 || rollback.ToVersion > head.LatestVersion)
            return Plan.Fail(new CommandResult { Code = ResultCode.ResultVersionNotFound, Message = $"key '{path.Key}' has no version {rollback.ToVersion}", Revision = revision });
        var target = ReadVersion(path, rollback.ToVersion, forWrite: true);
        if (target is null)
            return Plan.Fail(new CommandResult { Code = ResultCode.ResultVersionNotFound, Message = $"version {rollback.ToVersion} of key '{path.Key}' is no longer kept", Revision = revision });
        if (target.Destroyed)
            return Plan.Fail(new CommandResult { Code = ResultCode.ResultVersionNotFound, Message = $"version {rollback.ToVersion} of key '{path.Key}' was destroyed", Revision = revision });
        if (target.Operation is VersionOperation.Delete or VersionOperation.Mask)
            return Plan.Fail(Invalid($"version {rollback.ToVersion} of key '{path.Key}' is a deletion; nothing to roll back to"));

        // A secret's envelope is bound to its version, so the accepting node re-seals the old
        // value for the new version and sends it along.
        var secret = head.Secret || target.Secret;
        if (secret && TooLarge(path, rollback.ReplacementValue) is { } tooLarge)
            return Plan.Fail(tooLarge);
        if (secret != rollback.HasReplacement || (secret && rollback.SealedForVersion != head.LatestVersion + 1))
            return Plan.Fail(Retry($"key '{path.Key}' changed while the rollback was prepared"));
        return secret
            ? new Plan(path, head, VersionOperation.Rollback, rollback.ReplacementValue, true, rollback.ToVersion, rollback.Fingerprint)
            : new Plan(path, head, VersionOperation.Rollback, target.Value, false, rollback.ToVersion, ByteString.Empty) { Kind = target.ValueKind, Flags = target.Flags };
    }

    private Plan PlanCheck(CheckOp check)
    {
        if (!KeyPath.TryFrom(check.Key, out var path, out var error))
            return Plan.Fail(Invalid(error));
        var head = ReadHead(path, forWrite: true);
        return ExpectationHolds(path, head, hasExpected: true, check.ExpectedVersion, out var mismatch)
            ? new Plan(path, head, VersionOperation.Unspecified, ByteString.Empty, false, 0, ByteString.Empty) { CheckOnly = true }
            : Plan.Fail(mismatch);
    }

    // Checked before anything is written: FASTER cannot store a record larger than its page.
    private CommandResult? TooLarge(KeyPath path, ByteString value)
        => value.Length <= options.MaxStoredValueBytes
            ? null
            : Invalid($"value of key '{path.Key}' is {value.Length} bytes stored; the store's limit is {options.MaxStoredValueBytes}");

    // expected == latest version matches; expected 0 also matches a key that is absent or deleted.
    private bool ExpectationHolds(KeyPath path, KeyHead? head, bool hasExpected, long expected, out CommandResult mismatch)
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
            Message = $"key '{path.Key}': expected version {expected} but it is at version {current}",
            Revision = revision,
        };
        return false;
    }
}
