using System.Net;
using System.Security.Cryptography;
using ConfigCluster.Consensus;
using ConfigCluster.Contracts.Internal.V1;
using ConfigCluster.Server.Application;
using ConfigCluster.Server.Hosting;
using Google.Protobuf;
using Grpc.Core;

namespace ConfigCluster.Server.Operations;

/// <summary>
/// Runtime membership changes, one at a time, from any member: the request is carried out by
/// the leader (locally, or through the signed Peer service). A new node, started with
/// <c>--join</c>, is caught up with the log or a snapshot before the member list that makes it
/// a voter is committed. Removing the leader first hands leadership to another member; a node
/// asked to remove itself answers with the committed list without waiting to install it.
/// </summary>
public sealed class Membership(RaftNode node, PeerChannels channels, Acl.PeerAuthenticator peers, LeadershipTransfer leadership, TimeProvider time)
{
    // Catching a new member up can take a while (a snapshot install, then warm-up rounds).
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public async Task<IReadOnlyList<MemberStatus>> ListAsync(CancellationToken token) => (await node.GetStatusAsync(token)).Members;

    public async Task<Outcome<IReadOnlyList<MemberStatus>>> AddAsync(string raft, CancellationToken token)
    {
        if (!EndPointText.TryParse(raft, out var endPoint))
            return new ConfigError(ConfigErrorCode.InvalidArgument, $"raft: '{raft}' is not HOST:PORT");
        var outcome = await OnLeaderAsync(add: true, endPoint, token);
        if (outcome.Error is { } error)
            return error;
        return await AfterAsync(outcome.Value, raft, expectMember: true, token);
    }

    public async Task<Outcome<IReadOnlyList<MemberStatus>>> RemoveAsync(string nodeId, CancellationToken token)
    {
        var members = await ListAsync(token);
        if (members.FirstOrDefault(m => m.NodeId == nodeId) is not { } member)
            return new ConfigError(ConfigErrorCode.NotFound, $"no member is named '{nodeId}'");
        if (member.IsLeader)
        {
            var transfer = await leadership.TransferAsync(target: null, token);
            if (transfer.Error is { } transferError)
                return new ConfigError(ConfigErrorCode.FailedPrecondition, $"'{nodeId}' leads and could not hand over: {transferError}");
        }

        if (!EndPointText.TryParse(member.Raft, out var endPoint))
            return new ConfigError(ConfigErrorCode.Internal, $"member '{nodeId}' has an unreadable endpoint");
        var outcome = await OnLeaderAsync(add: false, endPoint, token);
        if (outcome.Error is { } error)
            return error;
        if (member.IsLocal && outcome.Value is MembershipChange.Done or MembershipChange.Unchanged)
        {
            // This node removed itself: the leader stops replicating to it once the new list is
            // committed, so it may never install that list; the answer is the list it committed.
            return Outcome([.. (await ListAsync(token)).Where(static m => !m.IsLocal)]);
        }

        return await AfterAsync(outcome.Value, member.Raft, expectMember: false, token);
    }

    private async Task<Outcome<IReadOnlyList<MemberStatus>>> AfterAsync(MembershipChange change, string raft, bool expectMember, CancellationToken token)
    {
        switch (change)
        {
            case MembershipChange.Busy:
                return new ConfigError(ConfigErrorCode.FailedPrecondition, "another membership change is in progress; try again when it is done");
            case MembershipChange.CatchUpFailed:
                return new ConfigError(ConfigErrorCode.FailedPrecondition, $"the node at {raft} could not be caught up: is it running with --join and reachable from the leader?");
            case MembershipChange.WouldLoseQuorum:
                return new ConfigError(ConfigErrorCode.FailedPrecondition, $"removing {raft} would leave too few reachable members for a majority; bring members back first");
        }

        // Committed on the leader: wait until this node has installed the new member list too.
        using var deadline = Deadline.After(time, TimeSpan.FromSeconds(10), token);
        try
        {
            var poll = new Backoff(time);
            while (node.MemberEndPoints.Any(e => RaftNode.FormatEndPoint(e) == raft) != expectMember)
                await poll.WaitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            return new ConfigError(ConfigErrorCode.Unavailable, "the change was committed but this node has not seen it yet; list the members again");
        }

        return Outcome(await ListAsync(token));
    }

    private static Outcome<IReadOnlyList<MemberStatus>> Outcome(IReadOnlyList<MemberStatus> members) => new(members, null);

    // Runs the change on the leader, following leadership while it moves.
    private async Task<Outcome<MembershipChange>> OnLeaderAsync(bool add, EndPoint raft, CancellationToken token)
    {
        using var deadline = Deadline.After(time, Timeout, token);
        try
        {
            var notLeader = new Backoff(time);
            while (true)
            {
                var change = node.IsLeader
                    ? add ? await node.AddMemberAsync(raft, deadline.Token) : await node.RemoveMemberAsync(raft, deadline.Token)
                    : await ForwardAsync(add, raft, deadline.Token);
                if (change != MembershipChange.NotLeader)
                    return new(change, null);
                await notLeader.WaitAsync(deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            return new(default, new ConfigError(ConfigErrorCode.Ambiguous, $"the membership change did not finish within {Timeout.TotalSeconds:0} s; list the members to see whether it happened"));
        }
    }

    private async Task<MembershipChange> ForwardAsync(bool add, EndPoint raft, CancellationToken token)
    {
        var leader = await node.GetLeaderMetadataAsync(token);
        if (leader is null || !leader.TryGetValue(MemberMetadataKeys.GrpcUrl, out var url))
            return MembershipChange.NotLeader;
        var request = new MembershipRequest
        {
            Add = add,
            Raft = RaftNode.FormatEndPoint(raft),
            NotAfterUnixMs = time.GetUtcNow().Add(Timeout).ToUnixTimeMilliseconds(),
            Nonce = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(16)),
        };
        if (peers.SignedHeaders(request.ToByteArray()) is not { } headers)
            return MembershipChange.NotLeader;
        try
        {
            var reply = await channels.For(url).ChangeMembershipAsync(request, headers, cancellationToken: token);
            return Enum.TryParse<MembershipChange>(reply.Outcome, out var change) ? change : MembershipChange.NotLeader;
        }
        catch (RpcException e) when (e.Trailers.GetValue(WriteCoordinator.NotLeaderTrailer) is not null || e.StatusCode == StatusCode.Unavailable)
        {
            return MembershipChange.NotLeader;
        }
    }
}
