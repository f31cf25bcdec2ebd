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
public sealed class PeerGrpcService(RaftNode node, Acl.PeerAuthenticator peers) : Peer.PeerBase
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

        var outcome = await node.ProposeAsync(command, context.CancellationToken);
        return outcome.Status switch
        {
            ProposeStatus.Applied => new ProposeResponse { Result = outcome.Result!.ToByteString() },
            ProposeStatus.NotLeader => throw new RpcException(
                new Status(StatusCode.FailedPrecondition, "this node is not the leader"),
                new Metadata { { WriteCoordinator.NotLeaderTrailer, "1" } }),
            _ => throw GrpcErrors.ToRpcException(new ConfigError(ConfigErrorCode.Ambiguous, "leadership changed while the write was in flight")),
        };
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

    // Late or replayed calls are refused by Raft term and log position (PeerAuthenticator), not by
    // comparing this node's clock with the sender's.
    private void Authenticate(HoldRequest request, ServerCallContext context) => peers.Authenticate(request.ToByteArray(), context);
}
