using System.Security.Cryptography;
using ConfigCluster.Consensus;
using ConfigCluster.Contracts.Internal.V1;
using ConfigCluster.Server.Application;
using Google.Protobuf;
using Grpc.Core;

namespace ConfigCluster.Server.Operations;

/// <summary>The outcome of a leadership transfer.</summary>
/// <param name="PreviousLeader">Node id of the leader before the transfer.</param>
/// <param name="Leader">Node id of the leader after it (null when it did not complete).</param>
/// <param name="Term">The term the new leader leads.</param>
/// <param name="Error">Why the transfer did not complete, or null.</param>
/// <param name="UnknownTarget">The error is that no member has the requested node id.</param>
public sealed record LeadershipTransferResult(string? PreviousLeader, string? Leader, long Term, string? Error, bool UnknownTarget = false);

/// <summary>
/// Maintenance hand-over of leadership. Every member that must not win stands aside for a
/// short lease (DotNext standby: it keeps replicating and voting, but does not stand for
/// election); the leader steps down and stands aside too. The only member left to time out is
/// the target (or, without a target, any other member), so it is elected. Then every hold is
/// released. Works from any member: remote members are asked through the signed Peer service.
/// </summary>
public sealed class LeadershipTransfer(RaftNode node, PeerChannels channels, Acl.PeerAuthenticator peers, TimeProvider time)
{
    /// <summary>How long a transfer may take.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    // How long one attempt waits for the target to catch up, and then to be elected.
    private static readonly TimeSpan AttemptWindow = TimeSpan.FromSeconds(2);

    // Holds end by themselves after this, whatever happens to the node running the transfer.
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(3);

    public async Task<LeadershipTransferResult> TransferAsync(string? target, CancellationToken token)
    {
        using var deadline = Deadline.After(time, Timeout, token);
        var status = await node.GetStatusAsync(deadline.Token);
        if (target is not null && status.Members.All(m => m.NodeId != target))
            return new(null, null, node.Term, $"no member is named '{target}'", UnknownTarget: true);
        if (status.Members.FirstOrDefault(static m => m.IsLeader) is not { NodeId: { } previous })
            return new(null, null, node.Term, "no leader is known; nothing to transfer");
        if (previous == target)
            return new(previous, previous, node.Term, null);

        try
        {
            // An attempt fails when the old leader appended an entry the target had not received
            // before stepping down: the others then refuse the target their votes. The holds are
            // released, the cluster elects someone, the target catches up, and it is tried again.
            var noLeader = new Backoff(time);
            while (true)
            {
                status = await node.GetStatusAsync(deadline.Token);
                if (status.Members.FirstOrDefault(static m => m.IsLeader) is not { NodeId: { } current } leader)
                {
                    await noLeader.WaitAsync(deadline.Token);
                    continue;
                }

                if (current != previous && (target is null || current == target))
                    return new(previous, current, node.Term, null);
                if (await AttemptAsync(status.Members, leader, target, deadline.Token) is { } elected)
                    return new(previous, elected, node.Term, null);
            }
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            var where = target is null ? "another member" : $"'{target}'";
            return new(previous, null, node.Term, $"leadership did not move to {where} within {Timeout.TotalSeconds:0} s");
        }
    }

    // One try: the target catches up, everyone else stands aside, the leader steps down. Returns
    // the new leader's node id, or null when the target was not elected in time.
    private async Task<string?> AttemptAsync(IReadOnlyList<MemberStatus> members, MemberStatus leader, string? target, CancellationToken token)
    {
        if (members.FirstOrDefault(m => m.NodeId == target) is { } targetMember)
            await WaitUntilCaughtUpAsync(targetMember, leader, token);

        var held = new List<MemberStatus>();
        try
        {
            foreach (var member in target is null ? [] : members.Where(m => !m.IsLeader && m.NodeId != target))
            {
                if (await HoldAsync(member, resign: false, token))
                    held.Add(member);
            }

            if (!await HoldAsync(leader, resign: true, token))
                return null;
            held.Add(leader);

            var started = time.GetTimestamp();
            var poll = new Backoff(time);
            while (time.GetElapsedTime(started) < AttemptWindow)
            {
                var id = (await node.GetLeaderMetadataAsync(token))?.GetValueOrDefault(MemberMetadataKeys.NodeId);
                if (id is not null && id != leader.NodeId && (target is null || id == target))
                    return id;
                await poll.WaitAsync(token);
            }

            return null;
        }
        finally
        {
            foreach (var member in held)
                await ReleaseAsync(member);
        }
    }

    // Until the leader has committed its whole log and the target has committed all of it too,
    // so no voter's log is ahead of the target's (bounded by AttemptWindow).
    private async Task WaitUntilCaughtUpAsync(MemberStatus target, MemberStatus leader, CancellationToken token)
    {
        var started = time.GetTimestamp();
        var poll = new Backoff(time);
        while (time.GetElapsedTime(started) < AttemptWindow)
        {
            var (leaderCommit, leaderLast) = await PositionAsync(leader, token);
            var (targetCommit, _) = await PositionAsync(target, token);
            if (leaderCommit >= 0 && leaderCommit == leaderLast && targetCommit >= leaderCommit)
                return;
            await poll.WaitAsync(token);
        }
    }

    // A member's commit index and last log index; (-1, -1) when it cannot be asked.
    private async Task<(long Commit, long Last)> PositionAsync(MemberStatus member, CancellationToken token)
    {
        if (member.IsLocal)
        {
            var local = await node.GetStatusAsync(token);
            return (local.CommitIndex, local.LastLogIndex);
        }

        try
        {
            using var timeout = Deadline.After(time, TimeSpan.FromSeconds(1), token);
            // Indexes are not in the anonymous status: the call carries a short-lived peer proof.
            var status = await channels.StatusOf(member.GrpcUrl ?? "").StatusAsync(new Contracts.V1.StatusRequest(), Acl.PeerStatusProof.Create(peers), cancellationToken: timeout.Token);
            return (status.CommitIndex, status.LastLogIndex);
        }
        catch (Exception e) when (e is RpcException or UriFormatException or InvalidOperationException || (e is OperationCanceledException && !token.IsCancellationRequested))
        {
            return (-1, -1);
        }
    }

    private async Task<bool> HoldAsync(MemberStatus member, bool resign, CancellationToken token)
    {
        if (member.IsLocal)
            return await node.HoldAsync(resign, Lease, token);
        var request = NewRequest(resign);
        var reply = await Client(member).HoldAsync(request, Signed(request), cancellationToken: token);
        return reply.Done;
    }

    private async Task ReleaseAsync(MemberStatus member)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2), time);
        try
        {
            if (member.IsLocal)
            {
                await node.ReleaseAsync(timeout.Token);
                return;
            }

            var request = NewRequest(resign: false);
            await Client(member).ReleaseAsync(request, Signed(request), cancellationToken: timeout.Token);
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException)
        {
            // The member's lease ends the hold anyway.
        }
    }

    private Peer.PeerClient Client(MemberStatus member)
        => channels.For(member.GrpcUrl ?? throw new RpcException(new Status(StatusCode.Unavailable, $"member '{member.NodeId}' announced no gRPC URL")));

    private HoldRequest NewRequest(bool resign) => new()
    {
        Resign = resign,
        HoldMs = (int)Lease.TotalMilliseconds,
        NotAfterUnixMs = time.GetUtcNow().Add(Timeout).ToUnixTimeMilliseconds(),
        Nonce = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(16)),
    };

    private Metadata Signed(HoldRequest request)
        => peers.SignedHeaders(request.ToByteArray()) ?? throw new RpcException(new Status(StatusCode.Unavailable, "the cluster is not bootstrapped yet"));
}
