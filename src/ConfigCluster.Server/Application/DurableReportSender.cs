using ConfigCluster.Consensus;
using ConfigCluster.Contracts.Internal.V1;
using Google.Protobuf;
using Grpc.Core;

namespace ConfigCluster.Server.Application;

/// <summary>
/// On a follower of a cluster of 4 or more voting members, tells the leader how far this node's
/// log matches the leader's and is on disk (<see cref="RaftNode.DurablyAppended"/>), over the signed
/// Peer service. Reports are coalesced: one call is in flight at a time and carries the newest
/// report, so a burst of appends costs one call per round trip, not one per append.
/// </summary>
public sealed partial class DurableReportSender(RaftNode node, PeerChannels channels, Acl.PeerAuthenticator peers, ILogger<DurableReportSender> logger)
    : IHostedService
{
    /// <summary>
    /// TEST ONLY, never set in production: <c>CONFIGCLUSTER_TEST_WITHHOLD_DURABLE_REPORTS=1</c> makes
    /// this node send no report, so a test can show that a leader of 4+ members commits only what a
    /// majority reported, whatever DotNext's replication round counted.
    /// </summary>
    public const string WithholdVariable = "CONFIGCLUSTER_TEST_WITHHOLD_DURABLE_REPORTS";

    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromMilliseconds(500);

    private readonly Lock gate = new();
    private DurableAppend? newest;
    private bool sending;

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (Environment.GetEnvironmentVariable(WithholdVariable) == "1")
            Log.Withheld(logger);
        else
            node.DurablyAppended += OnAppended;
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        node.DurablyAppended -= OnAppended;
        return Task.CompletedTask;
    }

    private void OnAppended(DurableAppend report)
    {
        lock (gate)
        {
            if (newest is { } held && held.Term == report.Term && held.Index >= report.Index)
                return;
            newest = report;
            if (sending)
                return;
            sending = true;
        }

        _ = Task.Run(SendLoopAsync);
    }

    private async Task SendLoopAsync()
    {
        DurableAppend? sent = null;
        var retry = FirstRetry;
        while (true)
        {
            DurableAppend report;
            lock (gate)
            {
                // Done when the newest report went out, or belongs to a term that has ended (a
                // report counts only in its own term: the next leader gets the next append's).
                if (newest is not { } next || next == sent || next.Term != node.Term || node.IsLeader)
                {
                    sending = false;
                    return;
                }

                report = next;
            }

            if (await SendAsync(report))
            {
                sent = report;
                retry = FirstRetry;
                continue;
            }

            // Not delivered: nothing may commit without it (heartbeats bring no report), so it is
            // sent again, unless a newer append's report replaces it meanwhile.
            await Task.Delay(retry);
            retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, MaxRetry.Ticks));
        }
    }

    private async Task<bool> SendAsync(DurableAppend report)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(node.LeaderEpoch);
            timeout.CancelAfter(CallTimeout);
            var leader = await node.GetLeaderMetadataAsync(timeout.Token);
            if (leader is null || !leader.TryGetValue(MemberMetadataKeys.GrpcUrl, out var url))
                return false;
            var request = new DurableReport
            {
                Member = report.Member,
                Index = report.Index,
                Term = report.Term,
                Nonce = ByteString.CopyFrom(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)),
            };
            if (peers.SignedHeaders(request.ToByteArray()) is not { } headers)
                return false;
            var ack = await channels.For(url).ReportDurableAsync(request, headers, cancellationToken: timeout.Token);
            return ack.Counted; // false: that node does not lead in this term (yet, or any more)
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException or ObjectDisposedException)
        {
            // The leader moved or could not be reached: sent again while its term lasts.
            Log.ReportFailed(logger, report.Index, report.Term, e.GetType().Name);
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3010, Level = LogLevel.Debug, Message = "The report of durable index {Index} (term {Term}) did not reach the leader ({Reason})")]
        public static partial void ReportFailed(ILogger logger, long index, long term, string reason);

        [LoggerMessage(EventId = 3011, Level = LogLevel.Warning, Message = "TEST BUILD SWITCH: CONFIGCLUSTER_TEST_WITHHOLD_DURABLE_REPORTS withholds this node's durable-append reports. Only tests of the commit rule set this.")]
        public static partial void Withheld(ILogger logger);
    }
}
