using ConfigCluster.Consensus;
using ConfigCluster.Server.Application;
using Grpc.Core;

namespace ConfigCluster.Server.Operations;

/// <summary>
/// On the leader, frees a member caught in DotNext 6.12's refused-snapshot loop. When the answer
/// to an InstallSnapshot call that installed a snapshot never reaches the leader, the leader sends
/// the same snapshot again; the member has committed it by then, so it refuses it (DotNext accepts
/// a snapshot only above the commit index) without taking the sender as its leader, and the leader
/// answers the refusal by sending it once more, for good. The member then has no leader while the
/// rest of the cluster has one (seen after a quick install: TokenTableAfterSnapshotTests).
/// <para>
/// Every <see cref="Interval"/> the leader asks each member for its status (the signed peer status
/// call). A member that names another leader or none, whose commit index is at or past the
/// snapshot the leader offers and behind the leader's, for <see cref="StrikesToAct"/> rounds in a
/// row, is in that loop or about to be: the leader then offers a snapshot above the member's commit
/// index (its newest checkpoint, or one taken now), which the member accepts, and the loop ends.
/// A member that cannot be asked is left alone (a partition is not this loop). Acting when not
/// needed costs one checkpoint and a shorter log kept for slow followers, so rescues of one member
/// back off (from <see cref="FirstBackoff"/>, doubling to <see cref="MaxBackoff"/>) until it names
/// this leader again.
/// </para>
/// </summary>
public sealed partial class RefusedSnapshotRescue(
    RaftNode node, PeerChannels channels, Acl.PeerAuthenticator peers, TimeProvider clock, ILogger<RefusedSnapshotRescue> logger)
    : Hosting.LeaderLoop(node, clock)
{
    /// <summary>How often the leader looks at its members.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    /// <summary>Rounds in a row a member must look stuck before the leader acts (a healthy follower names the leader within a heartbeat).</summary>
    public const int StrikesToAct = 3;

    /// <summary>The shortest time between two rescues of one member.</summary>
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(10);

    /// <summary>The longest time between two rescues of one member.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);

    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(1);

    // Per member (its Raft endpoint): rounds seen stuck, and when it may be rescued next.
    private readonly Dictionary<string, MemberWatch> watches = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    protected override TimeSpan Period => Interval;

    /// <inheritdoc/>
    protected override async Task RunRoundAsync(CancellationToken stoppingToken)
    {
        var status = await Node.GetStatusAsync(stoppingToken);
        if (status.Members.FirstOrDefault(static m => m.IsLocal) is not { NodeId: { } self })
            return;

        foreach (var member in status.Members)
        {
            if (member.IsLocal || member.GrpcUrl is not { Length: > 0 } url)
                continue;
            var watch = watches.TryGetValue(member.Raft, out var known) ? known : watches[member.Raft] = new MemberWatch();
            var remote = await AskAsync(url, stoppingToken);
            var offered = Node.StateMachine.OfferedSnapshotIndex;
            var stuck = remote is not null && remote.LeaderId != self && offered > 0
                && remote.CommitIndex >= offered && remote.CommitIndex < status.CommitIndex;
            if (!stuck)
            {
                watch.Strikes = 0;
                if (remote is not null && remote.LeaderId == self)
                    watch.Backoff = FirstBackoff;
                continue;
            }

            if (++watch.Strikes < StrikesToAct || Clock.GetUtcNow() < watch.NotBefore)
                continue;
            if (!await Node.StateMachine.OfferSnapshotAboveAsync(remote!.CommitIndex, stoppingToken))
                continue; // nothing applied above its commit index yet: the next round tries again

            Observability.ServerMeters.SnapshotRescues.Add(1);
            Log.Rescued(logger, member.NodeId ?? member.Raft, remote.CommitIndex, Node.StateMachine.OfferedSnapshotIndex);
            watch.Strikes = 0;
            watch.NotBefore = Clock.GetUtcNow() + watch.Backoff;
            watch.Backoff = TimeSpan.FromTicks(Math.Min(watch.Backoff.Ticks * 2, MaxBackoff.Ticks));
        }
    }

    // The member's status, or null when it cannot be asked.
    private async Task<Contracts.V1.StatusResponse?> AskAsync(string url, CancellationToken stoppingToken)
    {
        try
        {
            using var timeout = Deadline.After(Clock, AskTimeout, stoppingToken);
            return await channels.StatusOf(url).StatusAsync(new Contracts.V1.StatusRequest(), Acl.PeerStatusProof.Create(peers), cancellationToken: timeout.Token);
        }
        catch (Exception e) when (e is RpcException or UriFormatException or InvalidOperationException || (e is OperationCanceledException && !stoppingToken.IsCancellationRequested))
        {
            return null;
        }
    }

    private sealed class MemberWatch
    {
        public int Strikes { get; set; }

        public DateTimeOffset NotBefore { get; set; }

        public TimeSpan Backoff { get; set; } = FirstBackoff;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 7120, Level = LogLevel.Warning, Message = "Member {Member} refuses the offered snapshot (it committed up to {CommitIndex}) and names no leader; offering the snapshot up to index {SnapshotIndex} instead")]
        public static partial void Rescued(ILogger logger, string member, long commitIndex, long snapshotIndex);
    }
}
