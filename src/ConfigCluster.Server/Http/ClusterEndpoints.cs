using ConfigCluster.Consensus;
using ConfigCluster.Server.Acl;

namespace ConfigCluster.Server.Http;

/// <summary>
/// <c>/cluster/status</c>; it needs no token (the health probes are in <see cref="Health.NodeHealthChecks"/>).
/// The status is limited without a working token (node, role, leader, term); <c>?digest=true</c> needs <c>admin</c>.
/// </summary>
internal static class ClusterEndpoints
{
    public static void MapClusterEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/cluster/status", StatusAsync).AllowAnonymousAccess();
    }

    private static async Task<IResult> StatusAsync(HttpRequest request, RaftNode node, AccessGate gate, Auth.LogClock logClock, CancellationToken token)
    {
        var wantsDigest = string.Equals(request.Query["digest"], "true", StringComparison.OrdinalIgnoreCase);
        var bearer = TokenAuthenticator.FromAuthorizationHeader(request.Headers.Authorization);
        var (detail, decision, message) = await gate.StatusAccessAsync(bearer, request.HttpContext.Connection.RemoteIpAddress, wantsDigest, peerSigned: false, token);
        if (detail is null)
        {
            var code = decision switch
            {
                AccessDecision.Unauthenticated => StatusCodes.Status401Unauthorized,
                AccessDecision.Forbidden => StatusCodes.Status403Forbidden,
                _ => StatusCodes.Status503ServiceUnavailable,
            };
            return Results.Json(new { error = message }, statusCode: code);
        }

        var status = await node.GetStatusAsync(token);
        // One scan gives the digest and its parts (which table two replicas disagree on).
        var digestParts = detail == StatusDetail.Digest ? node.Store.ComputeDigestParts() : null;
        var digest = digestParts?["all"];
        return new JsonResult(StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("nodeId", node.NodeId);
            writer.WriteString("role", status.Role);
            var leader = status.Members.FirstOrDefault(static m => m.IsLeader);
            if (leader?.NodeId is { } leaderId)
                writer.WriteString("leaderId", leaderId);
            else
                writer.WriteNull("leaderId");
            writer.WriteNumber("term", status.Term);
            if (detail == StatusDetail.Basic)
            {
                writer.WriteEndObject();
                return;
            }

            writer.WriteNumber("commitIndex", status.CommitIndex);
            writer.WriteNumber("lastLogIndex", status.LastLogIndex);
            writer.WriteNumber("appliedIndex", status.AppliedIndex);
            writer.WriteNumber("revision", status.Revision);
            writer.WriteNumber("snapshotIndex", status.SnapshotIndex);
            writer.WriteNumber("snapshotsInstalled", status.SnapshotsInstalled);
            // The time this node judges token, secret-id and JWT expiry by (the log clock, not its own wall clock).
            writer.WriteString("logClock", logClock.Now());
            if (digest is not null)
            {
                writer.WriteString("digest", digest);
                writer.WriteStartObject("digestParts");
                foreach (var (part, hash) in digestParts!)
                {
                    if (part != "all")
                        writer.WriteString(part, hash);
                }

                writer.WriteEndObject();
            }
            writer.WriteStartArray("members");
            foreach (var member in status.Members)
            {
                writer.WriteStartObject();
                writer.WriteString("nodeId", member.NodeId);
                writer.WriteString("raft", member.Raft);
                writer.WriteString("http", member.HttpUrl);
                writer.WriteString("grpc", member.GrpcUrl);
                writer.WriteBoolean("healthy", member.Healthy);
                writer.WriteBoolean("leader", member.IsLeader);
                writer.WriteString("version", member.Version);
                writer.WriteNumber("commandFormat", member.CommandFormat);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        });
    }
}
