using ConfigCluster.Consensus;
using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Server.Acl;
using ConfigCluster.Server.Application;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Rotation;

/// <summary>
/// On the leader: runs due rotations through the log and delivers their hook notices. Every
/// decision reads the replicated schedule (next due, last rotation, pending hook notices, all
/// command timestamps), so a new leader picks up whatever its predecessor left due or pending;
/// apply refuses a rotation whose due time was already served, so none is doubled. A failed
/// rotation (sealed leader, no quorum, refused) or hook call is counted, recorded in the key's
/// status when the log takes it, and retried with a per-key backoff (0.5 s doubling to 30 s).
/// A key whose policy's generator is a database static role also follows the role: when the
/// role's password moved on without the key (its own schedule, rotate-role, or a rotation whose
/// key version was refused after the database took the password), the key gets the role's
/// current password as a new version at once, and its next rotation is a period later.
/// </summary>
internal sealed partial class RotationScheduler(RotationService rotations, IVersionedStore store, RaftNode node, SecretSealer sealer, RotationHooks hooks,
    AuditLog audit, NodeSettings settings, TimeProvider time, ILogger<RotationScheduler> logger) : BackgroundService
{
    /// <summary>How often the leader looks for due rotations.</summary>
    public static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);

    // Per key and kind ("r"/"h" + composite): failures in a row and when to try again (leader-local).
    private readonly RetryBackoff retries = new(time);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Tick, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (!node.IsLeader)
            {
                retries.Clear();
                RotationMeters.SetDue(new Dictionary<string, double>());
                continue;
            }

            try
            {
                await PassAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.PassFailed(logger, e.GetType().Name, e.Message);
            }
        }
    }

    private async Task PassAsync(CancellationToken token)
    {
        var policies = store.RotationPolicies();
        var pendingHooks = store.RotationStates().Where(static s => s.Record.HookPendingVersion > 0).ToList();
        if (policies.Count == 0 && pendingHooks.Count == 0)
        {
            RotationMeters.SetDue(new Dictionary<string, double>());
            return;
        }

        var now = Now();
        var due = new Dictionary<string, double>(StringComparer.Ordinal);
        var work = new List<(StoredRotationPolicy Policy, KeyPath Path, bool Follow)>();
        foreach (var policy in policies)
        {
            var earliest = long.MaxValue;
            await foreach (var path in SecretKeysAsync(policy, token))
            {
                if (RotationService.EffectivePolicy(policies, path)?.Policy.Name != policy.Policy.Name)
                    continue;
                var state = store.FindRotationState(path);
                var next = RotationService.NextDue(policy, state);
                earliest = Math.Min(earliest, next);
                if (next <= now && Ready("r", path))
                    work.Add((policy, path, false));
                else if (BehindStaticRole(policy, state) && Ready("r", path))
                    work.Add((policy, path, true));
            }

            if (earliest != long.MaxValue)
                due[policy.Policy.Name] = (earliest - now) / 1000.0;
        }

        RotationMeters.SetDue(due);
        if (work.Count == 0 && !pendingHooks.Any(s => Ready("h", s.Path)))
            return;

        // The schedule as of everything committed (a new leader first applies its predecessor's entries).
        if (await rotations.CatchUpAsync(token) is { } barrierError)
        {
            foreach (var (policy, path, _) in work)
                Failed("r", path, policy.Policy.Name, barrierError.Message);
            return;
        }

        foreach (var (policy, path, follow) in work)
            await RotateAsync(policy, path, follow, token);
        foreach (var state in store.RotationStates().Where(s => s.Record.HookPendingVersion > 0 && Ready("h", s.Path)))
            await NotifyAsync(state, token);
    }

    private async Task RotateAsync(StoredRotationPolicy policy, KeyPath path, bool follow, CancellationToken token)
    {
        var name = policy.Policy.Name;
        // Read again after the barrier: the schedule or the key may have moved.
        if (store.FindRotationPolicy(name) is not { } current || current.SetUnixMs != policy.SetUnixMs)
            return;
        var state = store.FindRotationState(path);
        var dueAt = RotationService.NextDue(current, state);
        if (follow ? dueAt <= Now() || !BehindStaticRole(current, state) : dueAt > Now())
            return; // due now (the next pass rotates it), or no longer behind; or not due yet
        if (await store.GetAsync(path, 0, token) is not { IsDeletion: false, Secret: true } head)
            return;
        if (sealer.IsSealed)
        {
            await FailedAndReportedAsync(name, path, "the leader is sealed: it cannot seal a new value", token);
            return;
        }

        // A database generator: the static role's new password is set in its database first, so
        // the version proposed next holds one that works (the leader copies it at proposal time).
        if (!follow && current.Policy.Generator.Database is { } database && await rotations.RotateStaticRoleAsync(database.StaticRole, token) is { } databaseError)
        {
            await FailedAndReportedAsync(name, path, $"static role '{database.StaticRole}': {databaseError.Message}", token);
            return;
        }

        // A follow-up is not a scheduled rotation (due 0): it restarts the key's period.
        var outcome = await rotations.RotateScheduledAsync(current, path, head.Version, follow ? 0 : dueAt, token);
        if (outcome.Error is { } error)
        {
            // No quorum or an unknown outcome: nothing reached the log; the next pass retries.
            Failed("r", path, name, error.Message);
            return;
        }

        var result = outcome.Value!;
        switch (result.Code)
        {
            case ResultCode.ResultOk:
                Succeeded("r", path);
                RotationMeters.CountRotation(ok: true);
                Log.Rotated(logger, path.Key, path.Namespace, path.Environment, name, result.Version);
                await AuditAsync(name, path, result.Version, token);
                break;
            case ResultCode.ResultVersionMismatch or ResultCode.ResultRetry:
                break; // rotated meanwhile, or the key moved: the next pass sees the new state
            default:
                await FailedAndReportedAsync(name, path, result.Message, token);
                break;
        }
    }

    private async Task NotifyAsync(RotationState state, CancellationToken token)
    {
        var record = state.Record;
        if (store.FindRotationPolicy(record.Policy) is not { Policy.HookUrl.Length: > 0 } policy)
            return; // the policy (or its hook) is gone: nobody to tell
        var version = record.HookPendingVersion;
        var error = await hooks.NotifyAsync(policy.Policy.HookUrl, record.Policy, state.Path, version, token);
        RotationMeters.CountHook(error is null);
        if (error is null)
        {
            Succeeded("h", state.Path);
            await rotations.ReportAsync(record.Policy, state.Path, RotationReportKind.HookDelivered, version, "", token);
            return;
        }

        Backoff("h", state.Path);
        Log.HookFailed(logger, state.Path.Key, record.Policy, version, error);
        await rotations.ReportAsync(record.Policy, state.Path, RotationReportKind.HookFailed, version, error, token);
    }

    // A database generator's key whose last rotation holds an older password than the static role's
    // confirmed one (none pending: a rotation in progress is left to finish first).
    private bool BehindStaticRole(StoredRotationPolicy policy, RotationState? state)
        => policy.Policy.Generator.Database is { } database
           && store.FindStaticRole(database.StaticRole) is { Generation: > 0, HasPending: false } role
           && (state?.Record.SourceGeneration ?? 0) != role.Generation;

    // The secret keys a policy covers: its key, or every live secret under its prefix.
    private async IAsyncEnumerable<KeyPath> SecretKeysAsync(StoredRotationPolicy policy, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken token)
    {
        var p = policy.Policy;
        if (p.Key.Length > 0)
        {
            if (KeyPath.TryCreate(p.Namespace, p.Environment, p.Key, out var path, out _) && await store.GetAsync(path, 0, token) is { IsDeletion: false, Secret: true })
                yield return path;
            yield break;
        }

        string? after = null;
        do
        {
            var page = await store.ListAsync(p.Namespace, p.Environment, p.Prefix, after, 1000, includeDeleted: false, token);
            foreach (var item in page.Items.Where(static i => i.Secret && !i.IsDeletion))
                yield return item.Path;
            after = page.NextAfter;
        }
        while (after is not null);
    }

    private async Task FailedAndReportedAsync(string policy, KeyPath path, string error, CancellationToken token)
    {
        Failed("r", path, policy, error);
        await rotations.ReportAsync(policy, path, RotationReportKind.RotationFailed, 0, error, token);
    }

    private void Failed(string kind, KeyPath path, string policy, string error)
    {
        RotationMeters.CountRotation(ok: false);
        Backoff(kind, path);
        Log.RotationFailed(logger, path.Key, policy, error);
    }

    private async Task AuditAsync(string policy, KeyPath path, long version, CancellationToken token)
    {
        try
        {
            await audit.WriteAsync(new AuditRecord(time.GetUtcNow(), settings.NodeId, RotationService.AuthorPrefix + policy, null, "rotate", path.Key, path.Namespace, path.Environment, "allow", version), token);
        }
        catch (IOException e)
        {
            Log.AuditFailed(logger, path.Key, e.Message);
        }
    }

    private bool Ready(string kind, KeyPath path) => retries.Ready(kind + Composite(path));

    private void Backoff(string kind, KeyPath path) => retries.Failed(kind + Composite(path));

    private void Succeeded(string kind, KeyPath path) => retries.Succeeded(kind + Composite(path));

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();

    private static string Composite(KeyPath path) => $"{path.Namespace}\0{path.Environment}\0{path.Key}";

    private static partial class Log
    {
        [LoggerMessage(EventId = 5300, Level = LogLevel.Information, Message = "Rotated secret {Key} ({Namespace}/{Environment}) under policy {Policy}: version {Version}")]
        public static partial void Rotated(ILogger logger, string key, string @namespace, string environment, string policy, long version);

        [LoggerMessage(EventId = 5301, Level = LogLevel.Warning, Message = "Rotation of {Key} under policy {Policy} failed (retried with backoff): {Reason}")]
        public static partial void RotationFailed(ILogger logger, string key, string policy, string reason);

        [LoggerMessage(EventId = 5302, Level = LogLevel.Warning, Message = "Rotation hook of policy {Policy} for {Key} version {Version} failed (retried with backoff): {Reason}")]
        public static partial void HookFailed(ILogger logger, string key, string policy, long version, string reason);

        [LoggerMessage(EventId = 5303, Level = LogLevel.Error, Message = "A rotation could not be audited for {Key}: {Reason}")]
        public static partial void AuditFailed(ILogger logger, string key, string reason);

        [LoggerMessage(EventId = 5304, Level = LogLevel.Warning, Message = "Rotation scheduling pass failed: {Type}: {Reason}")]
        public static partial void PassFailed(ILogger logger, string type, string reason);
    }
}
