using System.Threading.RateLimiting;
using ConfigCluster.Server.Acl;
using Microsoft.AspNetCore.RateLimiting;

namespace ConfigCluster.Server.Limits;

/// <summary>Registers the request limits with ASP.NET Core's rate limiting and the stream caps.</summary>
internal static class RequestLimiting
{
    public static IServiceCollection AddRequestLimits(this IServiceCollection services)
    {
        services.AddSingleton<StreamLimits>();
        services.AddRateLimiter(static _ => { });
        services.AddOptions<RateLimiterOptions>().Configure<NodeSettings, TokenAuthenticator, PeerAuthenticator>(static (options, settings, authenticator, peers) =>
        {
            // Every limit off: no global limiter, and the middleware lets everything through.
            if (!settings.Limits.LimitsRequests)
                return;
            options.GlobalLimiter = new RequestRateLimiter(settings.Limits, authenticator, peers);
            options.OnRejected = static (rejected, _) =>
            {
                var (scope, kind) = rejected.HttpContext.Items[RequestRateLimiter.RejectionItem] is (LimitScope s, LimitKind k) ? (s, k) : (LimitScope.Source, LimitKind.Rate);
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
                return new ValueTask(LimitRejection.WriteAsync(rejected.HttpContext, scope, kind, retryAfter));
            };
        });
        return services;
    }
}
