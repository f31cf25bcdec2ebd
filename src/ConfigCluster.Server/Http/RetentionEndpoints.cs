using System.Text.Json;
using ConfigCluster.Server.Hosting;
using ConfigCluster.Server.Operations;
using ConfigCluster.Storage;
using ConfigCluster.Server.Acl;

namespace ConfigCluster.Server.Http;

/// <summary>
/// History retention per namespace (admin): <c>GET/PUT /namespaces/{ns}/retention</c> with
/// <c>{"maxVersions": 10, "maxAge": "30d"}</c>, and <c>POST /namespaces/{ns}/compact</c> to apply it now.
/// </summary>
internal static class RetentionEndpoints
{
    public static void MapRetentionEndpoints(this IEndpointRouteBuilder routes)
    {
        var scope = AccessScope.Environment.NamespaceFromRoute("ns");
        routes.MapGet("/namespaces/{ns}/retention", static (string ns, HistoryRetention retention)
                => Core.Keys.KeyPath.TryValidateScope(ns, "namespace", out var error) ? Describe(ns, retention.Get(ns), retention) : HttpErrors.BadRequest(error))
            .RequireAccess(Capability.Admin, scope, "retention.read");
        routes.MapPut("/namespaces/{ns}/retention", SetAsync).RequireAccess(Capability.Admin, scope, "retention.write");
        routes.MapPost("/namespaces/{ns}/compact", CompactAsync).RequireAccess(Capability.Admin, scope, "compact");
    }

    private static async Task<IResult> SetAsync(string ns, HttpRequest request, HistoryRetention retention, CancellationToken token)
    {
        JsonDocument body;
        try
        {
            body = await JsonDocument.ParseAsync(request.Body, cancellationToken: token);
        }
        catch (JsonException e)
        {
            return HttpErrors.BadRequest($"body is not JSON: {e.Message}");
        }

        using (body)
        {
            if (body.RootElement.ValueKind != JsonValueKind.Object)
                return HttpErrors.BadRequest("body must be a JSON object like {\"maxVersions\": 10, \"maxAge\": \"30d\"}");
            long maxVersions = 0;
            var maxAge = TimeSpan.Zero;
            if (body.RootElement.TryGetProperty("maxVersions", out var versions) && (versions.ValueKind != JsonValueKind.Number || !versions.TryGetInt64(out maxVersions)))
                return HttpErrors.BadRequest("\"maxVersions\" must be a whole number (0 = no limit)");
            if (body.RootElement.TryGetProperty("maxAge", out var age)
                && (age.ValueKind != JsonValueKind.String || !(age.GetString() is "0" || DurationParser.TryParse(age.GetString(), out maxAge))))
                return HttpErrors.BadRequest("\"maxAge\" must be a duration like \"720h\" or \"30d\" (\"0\" = no limit)");

            var outcome = await retention.SetAsync(ns, maxVersions, maxAge, token);
            return outcome.Error is { } error ? HttpErrors.ToResult(error) : Describe(ns, outcome.Value, retention);
        }
    }

    private static async Task<IResult> CompactAsync(string ns, HistoryRetention retention, CancellationToken token)
    {
        var outcome = await retention.CompactAsync(ns, author: null, token);
        return outcome.Error is { } error ? HttpErrors.ToResult(error) : Results.Ok(new { @namespace = ns, removed = outcome.Value!.Removed, oldestRevision = outcome.Value.OldestRevision });
    }

    private static IResult Describe(string ns, RetentionPolicy? policy, HistoryRetention retention)
        => Results.Ok(new
        {
            @namespace = ns,
            maxVersions = policy?.MaxVersions ?? 0,
            maxAgeSeconds = (long)(policy?.MaxAge.TotalSeconds ?? 0),
            oldestRevision = retention.OldestRevision,
        });
}
