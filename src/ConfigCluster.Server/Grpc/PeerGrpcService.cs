using ConfigCluster.Consensus;
using ConfigCluster.Contracts.Internal.V1;
using ConfigCluster.Core.Commands;
using ConfigCluster.Server.Application;
using Google.Protobuf;
using Grpc.Core;

namespace ConfigCluster.Server.Grpc;

/// <summary>
/// Node-to-node calls: a follower forwards a write here and the leader proposes it. The leader
/// does not re-validate or re-stamp the command: the accepting node built it.
/// </summary>
public sealed class PeerGrpcService(RaftNode node, Acl.PeerAuthenticator peers, WriteCoordinator coordinator, TimeProvider time) : Peer.PeerBase
{
    public override async Task<ProposeResponse> Propose(ProposeRequest request, ServerCallContext context)
    {
        peers.Authenticate(request.Command.Span, context);
        Command command;
        try
        {
            command = CommandCodec.Decode(request.Command.Span);
        }
        catch (InvalidDataException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, e.Message));
        }

        var outcome = await node.ProposeAsync(coordinator.Prepare(command), context.CancellationToken);
        return outcome.Status switch
        {
            ProposeStatus.Applied => new ProposeResponse { Result = outcome.Result!.ToByteString() },
            ProposeStatus.NotLeader => throw new RpcException(
                new Status(StatusCode.FailedPrecondition, "this node is not the leader"),
                new Metadata { { WriteCoordinator.NotLeaderTrailer, "1" } }),
            _ => throw GrpcErrors.ToRpcException(new ConfigError(ConfigErrorCode.Ambiguous, "leadership changed while the write was in flight")),
        };
    }

    /// <summary>
    /// A follower's coalesced forwards: every command not yet past its deadline is queued for the
    /// leader's next log entries together (<see cref="RaftNode.ProposeAllAsync"/>).
    /// </summary>
    public override async Task<ProposeBatchResponse> ProposeBatch(ProposeBatchRequest request, ServerCallContext context)
    {
        peers.Authenticate(request.ToByteArray(), context);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var commands = new List<Command>(request.Commands.Count);
        var slots = new int[request.Commands.Count];
        for (var i = 0; i < request.Commands.Count; i++)
        {
            var forwarded = request.Commands[i];
            // A sender of this build says how long its client still waits (skew-free); an older
            // one gave only its absolute deadline, judged against this node's clock. Once proposed,
            // a command whose sender gives up is dropped too: the call's cancellation reaches the
            // proposal queue (RaftNode.ProposeAllAsync).
            var expired = forwarded.RemainingMs <= 0 && forwarded.NotAfterUnixMs > 0 && now > forwarded.NotAfterUnixMs;
            if (expired)
            {
                slots[i] = -1; // its client gave up: never proposed
                continue;
            }

            try
            {
                commands.Add(coordinator.Prepare(CommandCodec.Decode(forwarded.Command.Span)));
            }
            catch (InvalidDataException e)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"command {i}: {e.Message}"));
            }

            slots[i] = commands.Count - 1;
        }

        var outcomes = await node.ProposeAllAsync(commands, context.CancellationToken);
        var response = new ProposeBatchResponse();
        foreach (var slot in slots)
        {
            response.Results.Add(slot < 0
                ? new ForwardedResult { Outcome = ForwardedResult.Types.Outcome.Expired }
                : outcomes[slot] switch
                {
                    { Status: ProposeStatus.Applied, Result: { } result } => new ForwardedResult { Outcome = ForwardedResult.Types.Outcome.Applied, Result = result.ToByteString() },
                    { Status: ProposeStatus.NotLeader } => new ForwardedResult { Outcome = ForwardedResult.Types.Outcome.NotLeader },
                    _ => new ForwardedResult { Outcome = ForwardedResult.Types.Outcome.Ambiguous },
                });
        }

        return response;
    }

    public override async Task<HoldResponse> Hold(HoldRequest request, ServerCallContext context)
    {
        Authenticate(request, context);
        var lease = TimeSpan.FromMilliseconds(Math.Clamp(request.HoldMs, 100, 30_000));
        return new HoldResponse { Done = await node.HoldAsync(request.Resign, lease, context.CancellationToken) };
    }

    public override async Task<HoldResponse> Release(HoldRequest request, ServerCallContext context)
    {
        Authenticate(request, context);
        return new HoldResponse { Done = await node.ReleaseAsync(context.CancellationToken) };
    }

    public override async Task<MembershipResponse> ChangeMembership(MembershipRequest request, ServerCallContext context)
    {
        peers.Authenticate(request.ToByteArray(), context);
        if (!Hosting.EndPointText.TryParse(request.Raft, out var raft))
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"'{request.Raft}' is not HOST:PORT"));
        var outcome = request.Add
            ? await node.AddMemberAsync(raft, context.CancellationToken)
            : await node.RemoveMemberAsync(raft, context.CancellationToken);
        if (outcome == MembershipChange.NotLeader)
        {
            throw new RpcException(
                new Status(StatusCode.FailedPrecondition, "this node is not the leader"),
                new Metadata { { WriteCoordinator.NotLeaderTrailer, "1" } });
        }

        return new MembershipResponse { Outcome = outcome.ToString() };
    }

    /// <summary>A follower's durable append (clusters of 4 or more voting members): the leader counts it and commits what a majority holds.</summary>
    public override async Task<DurableReportAck> ReportDurable(DurableReport request, ServerCallContext context)
    {
        peers.Authenticate(request.ToByteArray(), context);
        if (request.Index < 0 || request.Term < 0 || string.IsNullOrEmpty(request.Member))
            throw new RpcException(new Status(StatusCode.InvalidArgument, "a durable report names its member and a non-negative index and term"));
        var counted = await node.ReportDurableAsync(new DurableAppend(request.Member, request.Index, request.Term), context.CancellationToken);
        return new DurableReportAck { Counted = counted };
    }

    // Late or replayed calls are refused by Raft term and log position (PeerAuthenticator), not by
    // comparing this node's clock with the sender's.
    private void Authenticate(HoldRequest request, ServerCallContext context) => peers.Authenticate(request.ToByteArray(), context);
}
