using Grpc.Net.Client.Balancer;

namespace ConfigCluster.Client;

/// <summary>
/// The minimal service provider grpc-dotnet needs to find the <see cref="StaticResolverFactory"/>
/// that lists the configured nodes for its client-side load balancer.
/// </summary>
internal sealed class StaticEndpoints(IEnumerable<Uri> endpoints) : IServiceProvider
{
    private readonly StaticResolverFactory resolver = new(_ => endpoints.Select(static e => new BalancerAddress(e.Host, e.Port)).ToArray());

    public object? GetService(Type serviceType)
        => serviceType == typeof(ResolverFactory) ? resolver
            : serviceType == typeof(IEnumerable<ResolverFactory>) ? new ResolverFactory[] { resolver }
            : null;
}
