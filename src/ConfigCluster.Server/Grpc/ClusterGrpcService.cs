using ConfigCluster.Consensus;
using ConfigCluster.Contracts.V1;
using Grpc.Core;

namespace ConfigCluster.Server.Grpc;

/// <summary>The public Cluster service: this node's Raft view.</summary>
public sealed class ClusterGrpcService(RaftNode node) : Cluster.ClusterBase
{
    public override async Task<StatusResponse> Status(StatusRequest request, ServerCallContext context)
    {
        var status = await node.GetStatusAsync(context.CancellationToken);
        var response = new StatusResponse
        {
            NodeId = node.NodeId,
            Role = status.Role,
            LeaderId = status.Members.FirstOrDefault(static m => m.IsLeader)?.NodeId ?? "",
            Term = status.Term,
            CommitIndex = status.CommitIndex,
            LastLogIndex = status.LastLogIndex,
            AppliedIndex = status.AppliedIndex,
            Revision = status.Revision,
            SnapshotIndex = status.SnapshotIndex,
            SnapshotsInstalled = status.SnapshotsInstalled,
            Digest = request.IncludeDigest ? node.Store.ComputeDigest() : "",
        };
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
    };
}
