using ConfigCluster.Consensus;
using ConfigCluster.Server.Acl;
using ConfigCluster.Server.Application;
using ConfigCluster.Server.Rotation;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Faces.Database;

/// <summary>
/// On the leader, the rotation schedule of the database engine, the way <see cref="RotationScheduler"/>
/// runs secret rotation policies: every static role whose password is due (its last rotation + its
/// period, both log timestamps; at once for a role that has none yet) is rotated through the log
/// (intent, ALTER ROLE, confirmation), and a static-role or root rotation left pending by a node
/// that died between the steps is finished with its recorded password. A new leader reads the same
/// replicated state and carries on; apply refuses a scheduled rotation whose due time was already
/// served, so none is doubled. Failures are retried with backoff (0.5 s doubling to 30 s), logged
/// and counted in <c>configcluster_rotations_total{result}</c>.
/// </summary>
internal sealed partial class StaticRoleScheduler(DatabaseEngine engine, RaftNode node, IVersionedStore store, AuditLog audit, NodeSettings settings,
    TimeProvider clock, ILogger<StaticRoleScheduler> logger) : BackgroundService
{
    /// <summary>How often the leader looks for due static roles.</summary>
    public static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);

    /// <summary>How long a pending rotation is left to the node that started it before the leader finishes it.</summary>
    public static readonly TimeSpan PendingGrace = TimeSpan.FromSeconds(3);

    // Per role ("s:NAME") or connection ("r:NAME"): failures in a row and when to try again (leader-local).
    private readonly RetryBackoff retries = new(clock);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Tick, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (!node.IsLeader)
            {
                retries.Clear();
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
        var now = clock.GetUtcNow();
        foreach (var role in store.StaticRoles())
        {
            if (!node.IsLeader || token.IsCancellationRequested)
                return;
            var id = "s:" + role.Name;
            if (!retries.Ready(id))
                continue;
            ConfigError? error;
            if (role.HasPending)
            {
                if (role.PendingSince is { } since && now - since < PendingGrace)
                    continue;
                error = await engine.CompleteStaticRotationAsync(role.Name, token);
            }
            else if (role.NextDue <= now)
            {
                error = await engine.RotateStaticRoleAsync(role.Name, role.NextDue, token);
            }
            else
            {
                continue;
            }

            await OutcomeAsync(id, role.Name, error, token);
        }

        foreach (var name in store.DatabaseConfigNames())
        {
            if (store.FindDatabaseConfig(name) is not { PendingSealedPassword.IsEmpty: false } config || !retries.Ready("r:" + name)
                || (config.PendingSince is { } since && now - since < PendingGrace))
                continue;
            await OutcomeAsync("r:" + name, name, await engine.CompleteRootRotationAsync(name, token), token);
        }
    }

    private async Task OutcomeAsync(string id, string name, ConfigError? error, CancellationToken token)
    {
        RotationMeters.CountRotation(error is null);
        if (error is null)
        {
            retries.Succeeded(id);
            await AuditAsync(id, token);
            return;
        }

        var (failures, pause) = retries.Failed(id);
        Log.Failed(logger, name, failures, pause.TotalSeconds, error.Message);
    }

    private async Task AuditAsync(string id, CancellationToken token)
    {
        try
        {
            var path = id.StartsWith("s:", StringComparison.Ordinal) ? "database/static-roles/" + id[2..] : "database/config/" + id[2..];
            await audit.WriteAsync(new AuditRecord(clock.GetUtcNow(), settings.NodeId, RotationService.AuthorPrefix + "database", null, "rotate", path, "default", "default", "allow", null), token);
        }
        catch (IOException e)
        {
            Log.AuditFailed(logger, id, e.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 6630, Level = LogLevel.Warning, Message = "Rotating the database password of {Name} failed (attempt {Failures}); retrying in {RetrySeconds} s: {Reason}")]
        public static partial void Failed(ILogger logger, string name, int failures, double retrySeconds, string reason);

        [LoggerMessage(EventId = 6631, Level = LogLevel.Warning, Message = "The static role rotation pass failed: {Type}: {Reason}")]
        public static partial void PassFailed(ILogger logger, string type, string reason);

        [LoggerMessage(EventId = 6632, Level = LogLevel.Error, Message = "A database password rotation could not be audited ({Id}): {Reason}")]
        public static partial void AuditFailed(ILogger logger, string id, string reason);
    }
}
