using ConfigCluster.Consensus;
using ConfigCluster.Core.Commands;
using ConfigCluster.Server.Application;
using Microsoft.Extensions.Options;

namespace ConfigCluster.Server.Acl;

/// <summary>
/// Every <see cref="AuditOptions.CheckpointInterval"/>, puts this node's durable audit chain end
/// (line count and last MAC) in the Raft log, so every node holds it and a later truncation of
/// this node's audit tail is detected by <c>audit verify</c>.
/// </summary>
public sealed partial class AuditCheckpointService(AuditLog audit, AuditVerification verification, WriteCoordinator writes, RaftNode node, NodeSettings settings, IOptions<AuditOptions> options, TimeProvider clock, ILogger<AuditCheckpointService> logger) : BackgroundService
{
    /// <summary>The author recorded for checkpoint entries.</summary>
    public const string Author = "system:audit";

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.CheckpointInterval;
        long recorded = 0;
        var checkedChain = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var end = audit.Durable;
            if (end.Lines <= recorded || !node.HasLeader)
                continue;
            if (!checkedChain && node.Store.FindAuditCheckpoint(settings.NodeId) is not null)
            {
                // A newer checkpoint replaces the recorded one: first make sure this node's chain
                // still holds it, so a truncated (and since regrown) chain keeps its evidence.
                checkedChain = true;
                var report = await verification.VerifyAsync(stoppingToken);
                if (!report.Ok)
                {
                    Log.ChainBroken(logger, report.FirstBadLine ?? 0, report.Reason ?? "");
                    return;
                }
            }

            var command = new Command
            {
                // Deterministic: a retry of the same checkpoint is applied once.
                RequestId = $"audit-checkpoint:{settings.NodeId}:{end.Lines}",
                TimestampUnixMs = clock.GetUtcNow().ToUnixTimeMilliseconds(),
                Author = Author,
                AuditCheckpoint = new AuditCheckpointOp { NodeId = settings.NodeId, LineCount = end.Lines, ChainMac = end.Mac },
            };
            var outcome = await writes.SubmitAsync(command, stoppingToken);
            if (outcome.Error is { } error)
                Log.CheckpointFailed(logger, error.Message);
            else
                recorded = end.Lines;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 6121, Level = LogLevel.Error, Message = "This node's audit chain is broken at line {Line} ({Reason}); no further checkpoints are recorded, so the replicated one keeps the evidence")]
        public static partial void ChainBroken(ILogger logger, long line, string reason);

        [LoggerMessage(EventId = 6120, Level = LogLevel.Warning, Message = "Could not record an audit checkpoint ({Reason}); trying again at the next interval")]
        public static partial void CheckpointFailed(ILogger logger, string reason);
    }
}
