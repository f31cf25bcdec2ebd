using ConfigCluster.Server.Operations;
using ConfigCluster.Server.Secrets;
using ConfigCluster.Server.Acl;

namespace ConfigCluster.Server.Http;

/// <summary>
/// Administration: keyring (<c>GET /admin/keys</c>, <c>POST /admin/keys/rotate</c>,
/// <c>POST /admin/keys/rewrap?batch=N</c>), backup (<c>GET /admin/snapshot</c>) and leadership
/// (<c>POST /cluster/leader/transfer?to=NODE</c>) and membership (<c>GET/POST /cluster/members</c>,
/// <c>DELETE /cluster/members/{nodeId}</c>).
/// </summary>
internal static class AdminEndpoints
{
    public static void MapAdminEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/admin/keys", static async (KeyRotation rotation, CancellationToken token) => Report(await rotation.ReportAsync(token))).RequireAdmin("keys.read");
        routes.MapPost("/admin/keys/rotate", RotateAsync).RequireAdmin("keys.rotate");
        routes.MapPost("/admin/keys/rewrap", RewrapAsync).RequireAdmin("keys.rewrap");
        routes.MapGet("/admin/snapshot", SnapshotAsync).RequireAdmin("snapshot");
        routes.MapPost("/cluster/leader/transfer", TransferAsync).RequireAdmin("leader.transfer");
        routes.MapGet("/cluster/members", async (Membership membership, CancellationToken token) => Members(await membership.ListAsync(token))).RequireAdmin("members.list");
        routes.MapPost("/cluster/members", AddMemberAsync).RequireAdmin("members.add");
        routes.MapDelete("/cluster/members/{nodeId}", async (string nodeId, Membership membership, CancellationToken token)
            => Answer(await membership.RemoveAsync(nodeId, token))).RequireAdmin("members.remove");
    }

    private static async Task<IResult> AddMemberAsync(HttpRequest request, Membership membership, CancellationToken token)
    {
        string? raft = null;
        try
        {
            using var body = await System.Text.Json.JsonDocument.ParseAsync(request.Body, cancellationToken: token);
            if (body.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object && body.RootElement.TryGetProperty("raft", out var value) && value.ValueKind == System.Text.Json.JsonValueKind.String)
                raft = value.GetString();
        }
        catch (System.Text.Json.JsonException)
        {
            // Reported below.
        }

        return raft is null
            ? HttpErrors.BadRequest("body must be a JSON object like {\"raft\": \"HOST:PORT\"}")
            : Answer(await membership.AddAsync(raft, token));
    }

    private static IResult Answer(Application.Outcome<IReadOnlyList<Consensus.MemberStatus>> outcome)
        => outcome.Error is { } error ? HttpErrors.ToResult(error) : Members(outcome.Value!);

    private static IResult Members(IReadOnlyList<Consensus.MemberStatus> members)
        => Results.Ok(new { members = members.Select(static m => new { nodeId = m.NodeId, raft = m.Raft, http = m.HttpUrl, grpc = m.GrpcUrl, m.Healthy, isLeader = m.IsLeader }) });

    private static async Task<IResult> SnapshotAsync(HttpRequest request, HttpResponse response, SnapshotBackup backup, CancellationToken token)
    {
        var local = request.Query["local"].ToString();
        if (local is not ("" or "true" or "false"))
            return HttpErrors.BadRequest("local must be true or false");
        var outcome = await (local == "true" ? backup.TakeLocalAsync(token) : backup.TakeAsync(token));
        if (outcome.Error is { } error)
            return HttpErrors.ToResult(error);
        var file = outcome.Value!;
        response.Headers["X-Config-Revision"] = file.Revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers["X-Snapshot-Sha256"] = file.Sha256;
        response.Headers["X-Raft-Index"] = file.RaftIndex.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // Unlinked when the response is done with it.
        var stream = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        return Results.File(stream, "application/octet-stream", $"configcluster-r{file.Revision}.snap");
    }

    private static async Task<IResult> TransferAsync(HttpRequest request, LeadershipTransfer leadership, CancellationToken token)
    {
        var to = request.Query["to"].ToString();
        var transfer = await leadership.TransferAsync(to.Length == 0 ? null : to, token);
        return transfer.Error is { } error
            ? Results.Json(new { error }, statusCode: transfer.UnknownTarget ? StatusCodes.Status400BadRequest : StatusCodes.Status409Conflict)
            : Results.Ok(new { previousLeader = transfer.PreviousLeader, leader = transfer.Leader, transfer.Term });
    }

    private static async Task<IResult> RotateAsync(KeyRotation rotation, CancellationToken token)
    {
        var outcome = await rotation.RotateAsync(token);
        return outcome.Error is { } error ? HttpErrors.ToResult(error) : Report(outcome.Value!);
    }

    private static async Task<IResult> RewrapAsync(HttpRequest request, KeyRotation rotation, CancellationToken token)
    {
        if (!RequestParameters.TryGetLong(request, "batch", 1, out var batch, out var problem))
            return problem;
        var outcome = await rotation.RewrapAsync((int)Math.Min(batch ?? 0, int.MaxValue), token);
        if (outcome.Error is { } error)
            return HttpErrors.ToResult(error);
        var (rewrapped, batches, report) = outcome.Value;
        return Results.Ok(new { rewrapped, batches, keys = Keys(report), pendingRewrap = report.PendingRewrap });
    }

    private static IResult Report(KeyringReport report) => Results.Ok(new { keys = Keys(report), pendingRewrap = report.PendingRewrap });

    private static IEnumerable<object> Keys(KeyringReport report)
        => report.Keys.Select(static k => new { k.Sequence, k.Id, createdAt = k.CreatedAt.UtcDateTime, k.SealedVersions, k.Newest });
}
