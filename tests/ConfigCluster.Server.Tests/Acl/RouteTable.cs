extern alias server;

using System.Net;
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
        var raft = new IPEndPoint(IPAddress.Loopback, 1);
        var settings = new NodeSettings
        {
            NodeId = "routes",
            HttpUrl = new Uri("http://127.0.0.1:1"),
            GrpcUrl = new Uri("http://127.0.0.1:2"),
            RaftEndPoint = raft,
            Members = [raft],
            DataDirectory = directory,
        };
        try
        {
            var http = new List<HttpRoute>();
            var other = new List<string>();
            await using (var app = NodeHost.Build(settings, seed: null))
            {
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
