using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Storage.Records;
using Google.Protobuf;

namespace ConfigCluster.Storage;

public sealed partial class FasterVersionedStore
{
    /// <summary>Request ids longer than this are not remembered (no deduplication).</summary>
    public const int MaxRequestIdLength = 128;

    /// <summary>Most items in one change-set.</summary>
    public const int MaxChangeSetItems = 1000;

    /// <inheritdoc/>
    public CommandResult Apply(Command command, long raftIndex, long raftTerm)
    {
        ArgumentNullException.ThrowIfNull(command);
        // The commands of one log entry (a batch packed by the leader) share its index, so only
        // an index below the applied one is stale; the state machine skips whole entries it has applied.
        if (raftIndex < appliedIndex)
            return new CommandResult { Code = ResultCode.ResultInvalid, Message = "entry already applied", Revision = revision };

        // A client that retries a write after an ambiguous failure reuses its request id: the
        // retry gets the first attempt's result and changes nothing.
        ExpireRequests(command.TimestampUnixMs);
        var requestKey = command.RequestId.Length is > 0 and <= MaxRequestIdLength ? RecordKeys.Request(command.RequestId) : null;
        var result = requestKey is not null && FindRemembered(requestKey) is { } remembered
            ? remembered
            : command.OpCase switch
            {
                Command.OpOneofCase.Put => ApplyOne(command, PlanPut(command.Put)),
                Command.OpOneofCase.Delete => ApplyOne(command, PlanDelete(command.Delete)),
                Command.OpOneofCase.Rollback => ApplyOne(command, PlanRollback(command.Rollback)),
                Command.OpOneofCase.ChangeSet => ApplyChangeSet(command, command.ChangeSet),
                Command.OpOneofCase.AddDataKey => ApplyAddDataKey(command, command.AddDataKey),
                Command.OpOneofCase.Rewrap => ApplyRewrap(command.Rewrap),
                Command.OpOneofCase.SetEnvironment => ApplySetEnvironment(command.SetEnvironment),
                Command.OpOneofCase.CreateToken => ApplyCreateToken(command, command.CreateToken),
                Command.OpOneofCase.RevokeToken => ApplyRevokeToken(command.RevokeToken),
                Command.OpOneofCase.ReapTokens => ApplyReapTokens(command, command.ReapTokens),
                Command.OpOneofCase.PutPolicy => ApplyPutPolicy(command.PutPolicy),
                Command.OpOneofCase.DeletePolicy => ApplyDeletePolicy(command.DeletePolicy),
                Command.OpOneofCase.Checkpoint => new CommandResult { Code = ResultCode.ResultOk, Revision = revision },
                Command.OpOneofCase.SetRetention => ApplySetRetention(command.SetRetention),
                Command.OpOneofCase.Compact => ApplyCompact(command, command.Compact),
                Command.OpOneofCase.AuditCheckpoint => ApplyAuditCheckpoint(command, command.AuditCheckpoint),
                Command.OpOneofCase.TransitCreateKey => ApplyTransitCreate(command, command.TransitCreateKey),
                Command.OpOneofCase.TransitRotateKey => ApplyTransitRotate(command, command.TransitRotateKey),
                Command.OpOneofCase.TransitConfigureKey => ApplyTransitConfigure(command.TransitConfigureKey),
                Command.OpOneofCase.TransitDeleteKey => ApplyTransitDelete(command.TransitDeleteKey),
                Command.OpOneofCase.KvVersions => ApplyKvVersions(command, command.KvVersions),
                Command.OpOneofCase.KvMetadata => ApplyKvMetadata(command, command.KvMetadata),
                Command.OpOneofCase.KvMount => ApplyKvMount(command, command.KvMount),
                Command.OpOneofCase.RenewToken => ApplyRenewToken(command, command.RenewToken),
                Command.OpOneofCase.RotateMasterKey => ApplyRotateMasterKey(command, command.RotateMasterKey),
                // Rotation: FasterVersionedStore.Rotation.cs.
                Command.OpOneofCase.SetRotationPolicy => ApplySetRotationPolicy(command, command.SetRotationPolicy),
                Command.OpOneofCase.DeleteRotationPolicy => ApplyDeleteRotationPolicy(command.DeleteRotationPolicy),
                Command.OpOneofCase.RotateSecret => ApplyRotateSecret(command, command.RotateSecret),
                Command.OpOneofCase.RotationReport => ApplyRotationReport(command, command.RotationReport),
                Command.OpOneofCase.DatabaseConfig => ApplyDatabaseConfig(command, command.DatabaseConfig),
                Command.OpOneofCase.DatabaseRole => ApplyDatabaseRole(command.DatabaseRole),
                Command.OpOneofCase.DatabaseDelete => ApplyDatabaseDelete(command.DatabaseDelete),
                Command.OpOneofCase.LeaseCreate => ApplyLeaseCreate(command, command.LeaseCreate),
                Command.OpOneofCase.LeaseRenew => ApplyLeaseRenew(command, command.LeaseRenew),
                Command.OpOneofCase.LeaseRevoke => ApplyLeaseRevoke(command, command.LeaseRevoke),
                // Static roles and root rotation: FasterVersionedStore.StaticRoles.cs.
                Command.OpOneofCase.DatabaseStaticRole => ApplyStaticRole(command, command.DatabaseStaticRole),
                Command.OpOneofCase.DatabaseStaticRoleDelete => ApplyStaticRoleDelete(command.DatabaseStaticRoleDelete),
                Command.OpOneofCase.DatabaseStaticRotate => ApplyStaticRotate(command, command.DatabaseStaticRotate),
                Command.OpOneofCase.DatabaseRootRotate => ApplyRootRotate(command, command.DatabaseRootRotate),
                Command.OpOneofCase.LogClock => ApplyLogClock(command),
                Command.OpOneofCase.AppRole => ApplyAppRole(command.AppRole),
                Command.OpOneofCase.AppRoleSecretId => ApplyAppRoleSecretId(command, command.AppRoleSecretId),
                Command.OpOneofCase.AppRoleLogin => ApplyAppRoleLogin(command, command.AppRoleLogin),
                Command.OpOneofCase.JwtConfig => ApplyJwtConfig(command.JwtConfig),
                Command.OpOneofCase.JwtRole => ApplyJwtRole(command.JwtRole),
                _ => Invalid("command has no operation"),
            };
        if (requestKey is not null && !result.Deduplicated)
            Remember(command, requestKey, result);
        Volatile.Write(ref appliedTerm, raftTerm);
        Volatile.Write(ref appliedIndex, raftIndex);
        return result;
    }

    /// <inheritdoc/>
    public Task<T> RunOnWriterAsync<T>(Func<T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        return writer.RunAsync(work);
    }

    /// <inheritdoc/>
    public void Skip(long raftIndex, long raftTerm)
    {
        if (raftIndex <= appliedIndex)
            return;
        Volatile.Write(ref appliedTerm, raftTerm);
        Volatile.Write(ref appliedIndex, raftIndex);
    }

    private CommandResult ApplyOne(Command command, Plan plan)
    {
        if (plan.Failure is { } failure)
            return failure;
        var newRevision = Commit(command, [plan], message: "");
        return new CommandResult { Code = ResultCode.ResultOk, Version = plan.NewVersion, Revision = newRevision };
    }

    private CommandResult ApplyChangeSet(Command command, ChangeSetOp changeSet)
    {
        if (changeSet.Items.Count == 0 || changeSet.Items.Count > MaxChangeSetItems)
            return Invalid($"a change-set holds 1 to {MaxChangeSetItems} items");

        // Check every item before writing anything: one failure and nothing changes.
        var plans = new List<Plan>(changeSet.Items.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in changeSet.Items)
        {
            var plan = item.OpCase switch
            {
                ChangeSetItem.OpOneofCase.Put => PlanPut(item.Put),
                ChangeSetItem.OpOneofCase.Delete => PlanDelete(item.Delete),
                ChangeSetItem.OpOneofCase.Check => PlanCheck(item.Check),
                _ => Plan.Fail(Invalid("a change-set item has no operation")),
            };
            if (plan.Failure is { } failure)
                return failure;
            if (!seen.Add(RecordKeys.Composite(plan.Path)))
                return Invalid($"key '{plan.Path}' appears twice in the change-set");
            plans.Add(plan);
        }

        // Checks pin what the caller read; they write nothing (a check's "version" is the key's current one).
        var writes = plans.Where(static p => !p.CheckOnly).ToList();
        if (writes.Count == 0)
            return Invalid("a change-set needs at least one put or delete");
        var newRevision = Commit(command, writes, changeSet.Message);
        var result = new CommandResult { Code = ResultCode.ResultOk, Revision = newRevision };
        result.Versions.AddRange(plans.Select(static p => p.CheckOnly ? p.Head?.LatestVersion ?? 0 : p.NewVersion));
        return result;
    }

    // Writes planned versions at one new revision. Per key: version first, then head, so a
    // reader that sees the new head always finds its version.
    private long Commit(Command command, IReadOnlyList<Plan> plans, string message)
    {
        var newRevision = revision + 1;
        var changes = new ChangeList { Message = message };
        foreach (var plan in plans)
        {
            var record = new VersionRecord
            {
                Version = plan.NewVersion,
                Revision = newRevision,
                Operation = plan.Operation,
                Value = plan.Value,
                Secret = plan.Secret,
                Author = command.Author,
                TimestampUnixMs = command.TimestampUnixMs,
                RolledBackFrom = plan.RolledBackFrom,
                Fingerprint = plan.Fingerprint,
                ValueKind = plan.Kind,
                Flags = plan.Flags,
            };
            var head = plan.Head;
            var removed = plan.Operation is VersionOperation.Delete or VersionOperation.Mask;
            var newHead = new KeyHead
            {
                LatestVersion = plan.NewVersion,
                LatestRevision = newRevision,
                Deleted = removed,
                Masked = plan.Operation == VersionOperation.Mask,
                Secret = plan.Secret,
                CreateRevision = head is null or { Deleted: true } ? newRevision : head.CreateRevision,
                FirstVersion = head?.FirstVersion ?? 0,
            };
            WriterInstance.Upsert(RecordKeys.Version(plan.Path, plan.NewVersion), record.ToByteArray());
            WriterInstance.Upsert(RecordKeys.Head(plan.Path), newHead.ToByteArray());
            if (head is null)
                current.Index.Add(RecordKeys.Composite(plan.Path));
            changes.Changes.Add(new ChangeRecord { Namespace = plan.Path.Namespace, Environment = plan.Path.Environment, Key = plan.Path.Key, Version = plan.NewVersion });
        }

        WriterInstance.Upsert(RecordKeys.Change(newRevision), changes.ToByteArray());
        Volatile.Write(ref revision, newRevision);
        return newRevision;
    }

    private CommandResult Retry(string message)
        => new() { Code = ResultCode.ResultRetry, Message = message, Revision = revision };

    private CommandResult Invalid(string message)
        => new() { Code = ResultCode.ResultInvalid, Message = message, Revision = revision };

    private CommandResult NotFound(string message)
        => new() { Code = ResultCode.ResultNotFound, Message = message, Revision = revision };
}
