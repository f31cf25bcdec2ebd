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

    /// <summary>
    /// A follower's coalesced forwards: every command not yet past its deadline is queued for the
    /// leader's next log entries together (<see cref="RaftNode.ProposeAllAsync"/>).
    /// </summary>
    public override async Task<ProposeBatchResponse> ProposeBatch(ProposeBatchRequest request, ServerCallContext context)
    {
        Authenticate(request.ToByteArray(), request.NotAfterUnixMs, context);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var commands = new List<Command>(request.Commands.Count);
        var slots = new int[request.Commands.Count];
        for (var i = 0; i < request.Commands.Count; i++)
        {
            var forwarded = request.Commands[i];
            if (forwarded.NotAfterUnixMs > 0 && now > forwarded.NotAfterUnixMs)
            {
                slots[i] = -1; // its client gave up: never proposed
                continue;
            }

            try
            {
                commands.Add(CommandCodec.Decode(forwarded.Command.Span));
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
        Authenticate(request.ToByteArray(), request.NotAfterUnixMs, context);
        if (!Hosting.NodeSettingsParser.TryParseEndPoint(request.Raft, out var raft))
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
