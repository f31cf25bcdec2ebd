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
        if (!peers.Verify(request.Command.Span, context.RequestHeaders.GetValue(Acl.PeerAuthenticator.Header)))
            throw new RpcException(new Status(StatusCode.Unauthenticated, "peer calls must be signed by a member of this cluster"));
        Command command;
        try
        {
            command = CommandCodec.Decode(request.Command.Span);
        }
        catch (InvalidDataException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, e.Message));
        }

        // A forwarded write that arrives after its client gave up is refused, never proposed: the
        // accepting node has already answered "ambiguous", and now the answer is "not applied".
        if (request.NotAfterUnixMs > 0 && DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() > request.NotAfterUnixMs)
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, "the forwarded write arrived after its deadline; not applied"));
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
        Authenticate(request.ToByteArray(), request.NotAfterUnixMs, context);
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

    private void Authenticate(HoldRequest request, ServerCallContext context) => Authenticate(request.ToByteArray(), request.NotAfterUnixMs, context);

    private void Authenticate(byte[] signed, long notAfterUnixMs, ServerCallContext context)
    {
        if (!peers.Verify(signed, context.RequestHeaders.GetValue(Acl.PeerAuthenticator.Header)))
            throw new RpcException(new Status(StatusCode.Unauthenticated, "peer calls must be signed by a member of this cluster"));
        if (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() > notAfterUnixMs)
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, "the request arrived after its deadline"));
    }
}
