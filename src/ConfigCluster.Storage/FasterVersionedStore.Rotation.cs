using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Core.Rotation;
using ConfigCluster.Storage.Records;
using Google.Protobuf;

namespace ConfigCluster.Storage;

public sealed partial class FasterVersionedStore
{
    // The leader draws (or copies a static role's password) and seals the value at proposal time; one without the master key cannot.
    private const string NoRotatedValue = "the leader could not make the new value (it has no master key: sealed; or, for a database generator, the static role has no password)";

    /// <inheritdoc/>
    public StoredRotationPolicy? FindRotationPolicy(string name) => Volatile.Read(ref current).Metadata.FindRotationPolicy(name);

    /// <inheritdoc/>
    public IReadOnlyList<StoredRotationPolicy> RotationPolicies() => Volatile.Read(ref current).Metadata.RotationPolicies();

    /// <inheritdoc/>
    public RotationState? FindRotationState(KeyPath path) => Volatile.Read(ref current).Metadata.FindRotationState(RecordKeys.Composite(path));

    /// <inheritdoc/>
    public IReadOnlyList<RotationState> RotationStates() => Volatile.Read(ref current).Metadata.RotationStates();

    private CommandResult ApplySetRotationPolicy(Command command, SetRotationPolicyOp set)
    {
        if (!RotationRules.TryValidate(set.Policy, out var error))
            return Invalid(error);
        var policy = set.Policy.Clone();
        policy.Namespace = policy.Namespace.Length == 0 ? KeyPath.DefaultScope : policy.Namespace;
        policy.Environment = policy.Environment.Length == 0 ? KeyPath.DefaultScope : policy.Environment;
        UpsertMetadata(RecordKeys.RotationPolicy(policy.Name), new RotationPolicyRecord { Policy = policy.ToByteString(), SetUnixMs = command.TimestampUnixMs }.ToByteArray());
        return new CommandResult { Code = ResultCode.ResultOk, Revision = revision };
    }

    private CommandResult ApplyDeleteRotationPolicy(DeleteRotationPolicyOp delete)
    {
        if (!RotationRules.IsValidName(delete.Name) || current.Metadata.FindRotationPolicy(delete.Name) is null)
            return NotFound($"rotation policy '{delete.Name}' not found");
        UpsertMetadata(RecordKeys.RotationPolicy(delete.Name), []);
        return new CommandResult { Code = ResultCode.ResultOk, Revision = revision };
    }

    private CommandResult ApplyRotateSecret(Command command, RotateSecretOp rotate)
    {
        if (!KeyPath.TryFrom(rotate.Key, out var path, out var error))
            return Invalid(error);
        var head = ReadHead(path, forWrite: true);
        if (head is null or { Deleted: true })
            return NotFound($"key '{path.Key}' not found");
        if (!head.Secret)
            return Invalid($"key '{path.Key}' is not a secret; only secrets rotate");
        var state = current.Metadata.FindRotationState(RecordKeys.Composite(path))?.Record;
        StoredRotationPolicy? policy = null;
        if (rotate.Policy.Length > 0)
        {
            policy = current.Metadata.FindRotationPolicy(rotate.Policy);
            if (policy is null || policy.SetUnixMs != rotate.PolicySetUnixMs || !RotationRules.Covers(policy.Policy, path))
                return Mismatch($"rotation policy '{rotate.Policy}' changed while the rotation was prepared");
            if (rotate.DueUnixMs > 0)
            {
                var due = RotationRules.NextDue(policy.Policy, policy.SetUnixMs, state?.Policy, state?.PolicySetUnixMs ?? 0, state?.NextDueUnixMs ?? 0, state?.LastRotatedUnixMs ?? 0);
                if (due != rotate.DueUnixMs || due > command.TimestampUnixMs)
                    return Mismatch($"key '{path.Key}' is not due for rotation (already rotated)");
            }
        }
        else if (rotate.DueUnixMs > 0)
        {
            return Invalid("a scheduled rotation names its policy");
        }

        // The value was sealed for the version it becomes (associated data): a rotation built
        // from a stale view is refused and rebuilt.
        if (rotate.ExpectedVersion != head.LatestVersion)
            return Retry($"key '{path.Key}' changed while the rotation was prepared");
        if (rotate.Value.IsEmpty)
            return Invalid(NoRotatedValue);
        var plan = PlanPut(new PutOp
        {
            Key = rotate.Key, Value = rotate.Value, Secret = true, HasExpectedVersion = true, ExpectedVersion = rotate.ExpectedVersion,
            Encrypted = true, SealedForVersion = rotate.ExpectedVersion + 1, Fingerprint = rotate.Fingerprint,
        });
        if (plan.Failure is { } failure)
            return failure;
        var newRevision = Commit(command, [plan], message: "");

        var next = state?.Clone() ?? new RotationStateRecord();
        next.LastRotatedUnixMs = command.TimestampUnixMs;
        next.LastVersion = plan.NewVersion;
        next.LastAuthor = command.Author;
        next.Rotations++;
        next.Attempts = 0;
        next.LastError = "";
        next.SourceGeneration = rotate.Generator?.KindCase == RotationGenerator.KindOneofCase.Database ? rotate.SourceGeneration : 0;
        if (policy is not null)
        {
            next.Policy = policy.Policy.Name;
            next.PolicySetUnixMs = policy.SetUnixMs;
            var every = policy.Policy.EveryMs;
            next.NextDueUnixMs = rotate.DueUnixMs > 0 ? RotationRules.AfterScheduled(rotate.DueUnixMs, every, command.TimestampUnixMs) : command.TimestampUnixMs + every;
            if (policy.Policy.HookUrl.Length > 0)
            {
                next.HookPendingVersion = plan.NewVersion;
                next.HookAttempts = 0;
                next.HookLastError = "";
            }
        }

        UpsertMetadata(RecordKeys.RotationState(path), next.ToByteArray());
        return new CommandResult { Code = ResultCode.ResultOk, Version = plan.NewVersion, Revision = newRevision };
    }

    private CommandResult ApplyRotationReport(Command command, RotationReportOp report)
    {
        if (!KeyPath.TryFrom(report.Key, out var path, out var error))
            return Invalid(error);
        var state = current.Metadata.FindRotationState(RecordKeys.Composite(path))?.Record.Clone() ?? new RotationStateRecord { Policy = report.Policy };
        var text = RotationRules.Clip(report.Error);
        switch (report.Kind)
        {
            case RotationReportKind.RotationFailed:
                state.Attempts++;
                state.LastError = text;
                state.LastFailureUnixMs = command.TimestampUnixMs;
                break;
            case RotationReportKind.HookDelivered when report.Version == state.HookPendingVersion && report.Version > 0:
                state.HookDeliveredVersion = report.Version;
                state.HookPendingVersion = 0;
                state.HookAttempts = 0;
                state.HookLastError = "";
                break;
            case RotationReportKind.HookFailed when report.Version == state.HookPendingVersion && report.Version > 0:
                state.HookAttempts++;
                state.HookLastError = text;
                break;
            case RotationReportKind.HookDelivered or RotationReportKind.HookFailed:
                return Mismatch($"key '{path.Key}' has no pending hook notice for version {report.Version}");
            default:
                return Invalid("rotation report has no kind");
        }

        UpsertMetadata(RecordKeys.RotationState(path), state.ToByteArray());
        return new CommandResult { Code = ResultCode.ResultOk, Revision = revision };
    }

    private CommandResult Mismatch(string message)
        => new() { Code = ResultCode.ResultVersionMismatch, Message = message, Revision = revision };
}
