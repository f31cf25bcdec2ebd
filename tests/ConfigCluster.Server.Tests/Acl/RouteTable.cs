extern alias server;

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using server::ConfigCluster.Server.Acl;
using server::ConfigCluster.Server;
using server::ConfigCluster.Server.Hosting;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace ConfigCluster.Server.Tests.Acl;

/// <summary>One HTTP route of the node as its routing table holds it.</summary>
internal sealed record HttpRoute(string Method, string Pattern, AccessRule? Rule, bool Anonymous)
{
    public override string ToString() => $"{Method} {Pattern}";
}

/// <summary>
/// Reads the node's real routing table: builds the server's web application in this process
/// (nothing is started or listened on) and lists every endpoint of its data sources.
/// </summary>
internal static class RouteTable
{
    public static async Task<(IReadOnlyList<HttpRoute> Http, IReadOnlyList<string> Other)> ReadAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), "cc-routes-" + Guid.NewGuid().ToString("N"));
        // Options as the command line gives them (the host binds and validates them like a node's).
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["node-id"] = "routes",
            ["http"] = "http://127.0.0.1:1",
            ["grpc"] = "http://127.0.0.1:2",
            ["raft"] = "127.0.0.1:1",
            ["members"] = "127.0.0.1:1",
            ["data-dir"] = directory,
        }).Build();
        try
        {
            var http = new List<HttpRoute>();
            var other = new List<string>();
            await using (var app = NodeHost.Build(configuration))
            {
                NodeHost.MapRoutes(app, app.Services.GetRequiredService<NodeSettings>());
                foreach (var endpoint in ((IEndpointRouteBuilder)app).DataSources.SelectMany(static s => s.Endpoints))
                {
                    if (endpoint.Metadata.GetMetadata<GrpcMethodMetadata>() is not null)
                        continue;
                    if (endpoint is not RouteEndpoint route)
                    {
                        other.Add(endpoint.DisplayName ?? "(unnamed endpoint)");
                        continue;
                    }

                    var pattern = route.RoutePattern.RawText ?? "";
                    var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods is { Count: > 0 } declared ? declared : ["GET"];
                    foreach (var method in methods)
                        http.Add(new HttpRoute(method, pattern, endpoint.Metadata.GetMetadata<AccessRule>(), endpoint.Metadata.GetMetadata<AllowAnonymousAccess>() is not null));
                }
            }

            return (http, other);
        }
        finally
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
    }
}
