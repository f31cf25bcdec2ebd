using ConfigCluster.Server.Secrets;

namespace ConfigCluster.Server.Http;

/// <summary>
/// Keyring administration: <c>GET /admin/keys</c>, <c>POST /admin/keys/rotate</c>,
/// <c>POST /admin/keys/rewrap?batch=N</c>.
/// </summary>
internal static class AdminEndpoints
{
    public static void MapAdminEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/admin/keys", static (KeyRotation rotation) => Report(rotation.Report()));
        routes.MapPost("/admin/keys/rotate", RotateAsync);
        routes.MapPost("/admin/keys/rewrap", RewrapAsync);
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
