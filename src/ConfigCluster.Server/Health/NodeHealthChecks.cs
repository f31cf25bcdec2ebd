using System.Text.Json;
using ConfigCluster.Server.Acl;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ConfigCluster.Server.Health;

/// <summary>
/// The probes, as ASP.NET Core health checks: <c>/health/live</c> (the process answers) and
/// <c>/health/ready</c> (<see cref="ReadinessHealthCheck"/>: 503 until ready), and the same
/// checks through the standard <c>grpc.health.v1.Health</c> service (service name "").
/// </summary>
internal static class NodeHealthChecks
{
    private const string LiveTag = "live", ReadyTag = "ready";

    public static IServiceCollection AddNodeHealthChecks(this IServiceCollection services)
    {
        services.AddGrpcHealthChecks(static options => options.Services.Map("", static check => check.Tags.Contains(ReadyTag)))
            .AddCheck("live", static () => HealthCheckResult.Healthy("live"), tags: [LiveTag])
            .AddCheck<ReadinessHealthCheck>(ReadinessHealthCheck.Name, tags: [ReadyTag]);
        return services;
    }

    public static void MapNodeHealthChecks(this IEndpointRouteBuilder routes)
    {
        routes.MapHealthChecks("/health/live", new HealthCheckOptions
        {
            Predicate = static check => check.Tags.Contains(LiveTag),
            ResponseWriter = static (context, _) => WriteAsync(context, writer => writer.WriteString("status", "live")),
        }).AllowAnonymousAccess().DisableRateLimiting();
        routes.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = static check => check.Tags.Contains(ReadyTag),
            ResponseWriter = static (context, report) => WriteAsync(context, writer =>
            {
                writer.WriteString("status", report.Status == HealthStatus.Healthy ? "ready" : "not-ready");
                if (report.Entries.TryGetValue(ReadinessHealthCheck.Name, out var entry))
                {
                    // Why not ready, in words an operator acts on ("catching up", "no leader known", a halted apply's reason).
                    if (entry.Status != HealthStatus.Healthy && entry.Description is { } reason)
                        writer.WriteString("reason", reason);
                    foreach (var (key, value) in entry.Data)
                    {
                        if (value is bool flag)
                            writer.WriteBoolean(key, flag);
                        else if (value is long number)
                            writer.WriteNumber(key, number);
                    }
                }
            }),
        }).AllowAnonymousAccess().DisableRateLimiting();
    }

    private static async Task WriteAsync(HttpContext context, Action<Utf8JsonWriter> body)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        body(writer);
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted);
    }
}
