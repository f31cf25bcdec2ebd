using ConfigCluster.Consensus;
using ConfigCluster.Contracts.V1;
using ConfigCluster.Server.Acl;
using Grpc.Core;

namespace ConfigCluster.Server.Grpc;

/// <summary>
/// The public Cluster service: this node's Raft view. Open, but limited: without a working token
/// only node, role, leader and term; with one also indexes and members; the digest needs
/// <c>admin</c> (see <see cref="AccessGate.StatusAccessAsync"/>).
/// </summary>
public sealed class ClusterGrpcService(RaftNode node, AccessGate gate, PeerAuthenticator peers) : Cluster.ClusterBase
{
    /// <inheritdoc />
    public override async Task<StatusResponse> Status(StatusRequest request, ServerCallContext context)
    {
        var bearer = TokenAuthenticator.FromAuthorizationHeader(context.RequestHeaders.GetValue("authorization"));
        var (detail, decision, message) = await gate.StatusAccessAsync(bearer, context.GetHttpContext().Connection.RemoteIpAddress, request.IncludeDigest, PeerStatusProof.Verify(peers, context.RequestHeaders), context.CancellationToken);
        if (detail is null)
        {
            var code = decision switch
            {
                AccessDecision.Unauthenticated => StatusCode.Unauthenticated,
                AccessDecision.Forbidden => StatusCode.PermissionDenied,
                _ => StatusCode.Unavailable,
            };
            throw new RpcException(new global::Grpc.Core.Status(code, message));
        }

        var status = await node.GetStatusAsync(context.CancellationToken);
        var response = new StatusResponse
        {
            NodeId = node.NodeId,
            Role = status.Role,
            LeaderId = status.Members.FirstOrDefault(static m => m.IsLeader)?.NodeId ?? "",
            Term = status.Term,
        };
        if (detail == StatusDetail.Basic)
            return response;

        response.CommitIndex = status.CommitIndex;
        response.LastLogIndex = status.LastLogIndex;
        response.AppliedIndex = status.AppliedIndex;
        response.Revision = status.Revision;
        response.SnapshotIndex = status.SnapshotIndex;
        response.SnapshotsInstalled = status.SnapshotsInstalled;
        response.Digest = detail == StatusDetail.Digest ? node.Store.ComputeDigest() : "";
        response.Members.AddRange(status.Members.Select(ToMember));
        return response;
    }

    /// <summary>A member as the public contract describes it.</summary>
    public static Member ToMember(MemberStatus member) => new()
    {
        NodeId = member.NodeId ?? "",
        Raft = member.Raft,
        Http = member.HttpUrl ?? "",
        Grpc = member.GrpcUrl ?? "",
        Healthy = member.Healthy,
        IsLeader = member.IsLeader,
        Version = member.Version ?? "",
        CommandFormat = member.CommandFormat,
    };
}
