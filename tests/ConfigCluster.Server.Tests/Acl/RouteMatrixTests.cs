extern alias server;

using System.Net;
using System.Text;
using ConfigCluster.Contracts.V1;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Net.Client;
using Capability = server::ConfigCluster.Server.Acl.Capability;
using GrpcAccessTable = server::ConfigCluster.Server.Acl.GrpcAccessTable;

namespace ConfigCluster.Server.Tests.Acl;

/// <summary>
/// Every HTTP route (read from the node's routing table) and every public gRPC method (read from
/// the contract's descriptors), except a short named open list, refuses a request without a
/// token, with an unknown token (401 / Unauthenticated) and with a token lacking the capability
/// (403 / PermissionDenied); the HTTP routes also when the request claims to be gRPC.
/// </summary>
[Collection(AccessClusterCollection.Name)]
public sealed class RouteMatrixTests(AccessCluster fixture)
{
    /// <summary>The HTTP routes that need no token.</summary>
    private static readonly HashSet<string> OpenRoutes =
    [
        "GET /health/live", "GET /health/ready", "GET /cluster/status", "GET /v1/sys/health", "GET /v1/sys/seal-status", "POST /v1/sys/unseal", "GET /ui", "GET /ui/{**path}",
        // Machine login is how a machine gets its first token (rate limited like every request).
        "POST /v1/auth/approle/login", "PUT /v1/auth/approle/login", "POST /v1/auth/jwt/login", "PUT /v1/auth/jwt/login",
    ];

    /// <summary>
    /// Routes that act on the caller's own token (Vault's *-self): any working token may call them,
    /// so only the 401 cases apply (calling revoke-self with the shared powerless token would revoke it).
    /// </summary>
    private static readonly HashSet<string> SelfRoutes = ["GET /v1/auth/token/lookup-self", "POST /v1/auth/token/renew-self", "POST /v1/auth/token/revoke-self"];

    /// <summary>The gRPC methods and services that need no token.</summary>
    private static readonly HashSet<string> OpenMethods = ["/configcluster.v1.Cluster/Status"];

    // Sample values for route parameters.
    private static readonly Dictionary<string, string> Samples = new()
    {
        ["key"] = "matrix.sample",
        ["accessor"] = "nosuchaccessor",
        ["name"] = "matrix-policy",
        ["nodeId"] = "nosuchnode",
        ["ns"] = "default",
        ["env"] = "staging",
        ["kind"] = "plaintext",
        ["algorithm"] = "sha2-256",
        ["bytes"] = "16",
        ["mount"] = "secret",
        ["path"] = "matrix/sample",
        // The database engine's leases.
        ["prefix"] = "database/creds/matrix",
        ["leaseId"] = "database/creds/matrix/nosuchlease",
    };

    private static readonly Marshaller<byte[]> Raw = Marshallers.Create(static b => b, static b => b);

    [Fact]
    public async Task EveryHttpRoute_DeclaresAccess_OrIsNamedOpen()
    {
        var (routes, other) = await RouteTable.ReadAsync();
        Assert.Empty(other);
        // The API faces' routes are in the same table, each with its own rule.
        Assert.Contains(routes, static r => r.Pattern == "/v1/kv/{**key}" && r.Method == "PUT" && r.Rule is not null);
        Assert.Contains(routes, static r => r.Pattern == "/v1/txn" && r.Rule is not null);
        Assert.Contains(routes, static r => r.Pattern == "/v1/transit/encrypt/{name}" && r.Rule is not null);
        Assert.Contains(routes, static r => r.Pattern == "/config/{**key}" && r.Rule is not null);
        // Policies are admin; a rotation needs write on its key, a key's status read.
        foreach (var method in new[] { "GET", "PUT", "DELETE" })
            Assert.Contains(routes, r => r.Pattern == "/rotation/policies/{name}" && r.Method == method && r.Rule is { Capability: Capability.Admin });
        Assert.Contains(routes, static r => r.Pattern == "/rotation/policies" && r.Method == "GET" && r.Rule is { Capability: Capability.Admin });
        Assert.Contains(routes, static r => r.Pattern == "/config/rotate/{**key}" && r.Method == "POST" && r.Rule is { Capability: Capability.Write });
        Assert.Contains(routes, static r => r.Pattern == "/config/rotation/{**key}" && r.Method == "GET" && r.Rule is { Capability: Capability.Read });
        Assert.All(routes.Where(static r => SelfRoutes.Contains(r.ToString())), static r => Assert.True(r.Rule is { TokenOnly: true }, $"{r} acts on the caller's token"));
        Assert.All(routes.Where(static r => r.Rule is { TokenOnly: true }), static r => Assert.Contains(r.ToString(), SelfRoutes));
        var problems = routes.Where(static r => r.Anonymous ? !OpenRoutes.Contains(r.ToString()) : r.Rule is null)
            .Select(static r => r.Anonymous ? $"{r}: open but not in the named open list" : $"{r}: declares no access rule").ToList();
        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.Equal(OpenRoutes.Order(), routes.Where(static r => r.Anonymous).Select(static r => r.ToString()).Order());
    }

    [Fact]
    public async Task EveryHttpRoute_WithoutTokenUnknownTokenOrCapability_IsRefused_AlsoAsGrpcContentType()
    {
        var (routes, _) = await RouteTable.ReadAsync();
        var node = fixture.Cluster[1];
        using var anonymous = AccessCluster.Client(node, null);
        using var unknown = AccessCluster.Client(node, AccessCluster.UnknownToken);
        using var powerless = AccessCluster.Client(node, fixture.PowerlessToken);
        var failures = new List<string>();
        var checkedRoutes = 0;
        foreach (var route in routes.Where(static r => !OpenRoutes.Contains(r.ToString())))
        {
            var path = Fill(route.Pattern, failures);
            foreach (var grpcContentType in new[] { false, true })
            {
                foreach (var (client, expected, who) in new[] { (anonymous, HttpStatusCode.Unauthorized, "no token"), (unknown, HttpStatusCode.Unauthorized, "unknown token"), (powerless, HttpStatusCode.Forbidden, "no capability") })
                {
                    if (client == powerless && SelfRoutes.Contains(route.ToString()))
                        continue;
                    using var request = new HttpRequestMessage(new HttpMethod(route.Method), path);
                    if (grpcContentType)
                        request.Content = new ByteArrayContent([]) { Headers = { { "Content-Type", "application/grpc" } } };
                    using var response = await client.SendAsync(request);
                    if (response.StatusCode != expected)
                        failures.Add($"{route} ({who}{(grpcContentType ? ", content-type application/grpc" : "")}): {(int)response.StatusCode}, expected {(int)expected}");
                }
            }

            checkedRoutes++;
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
        Assert.True(checkedRoutes > 20, $"only {checkedRoutes} routes were read from the routing table");
    }

    [Fact]
    public void GrpcAccessTable_CoversEveryPublicMethod()
        => Assert.Empty(GrpcAccessTable.Undeclared());

    [Fact]
    public async Task EveryGrpcMethod_WithoutTokenUnknownTokenOrCapability_IsRefused()
    {
        using var channel = GrpcChannel.ForAddress(fixture.Cluster[2].GrpcUrl);
        var invoker = channel.CreateCallInvoker();
        var failures = new List<string>();
        var methods = PublicMethods().Where(static m => !OpenMethods.Contains(FullName(m))).ToList();
        foreach (var method in methods)
        {
            foreach (var (token, expected, who) in new[] { ((string?)null, StatusCode.Unauthenticated, "no token"), (AccessCluster.UnknownToken, StatusCode.Unauthenticated, "unknown token"), (fixture.PowerlessToken, StatusCode.PermissionDenied, "no capability") })
            {
                var headers = token is null ? new Metadata() : new Metadata { { "authorization", $"Bearer {token}" } };
                var status = await CallAsync(invoker, method, new CallOptions(headers, DateTime.UtcNow.AddSeconds(10)));
                if (status != expected)
                    failures.Add($"{FullName(method)} ({who}): {status}, expected {expected}");
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
        Assert.True(methods.Count > 20, $"only {methods.Count} methods were read from the contract");
    }

    /// <summary>Every method of the public contract (the services generated from proto/configcluster/v1).</summary>
    internal static IEnumerable<MethodDescriptor> PublicMethods()
        => typeof(KV).Assembly.GetTypes()
            .Where(static t => t.Namespace == typeof(KV).Namespace && t.Name.EndsWith("Reflection", StringComparison.Ordinal))
            .Select(static t => t.GetProperty("Descriptor")?.GetValue(null))
            .OfType<FileDescriptor>()
            .SelectMany(static f => f.Services)
            .SelectMany(static s => s.Methods);

    private static string FullName(MethodDescriptor method) => $"/{method.Service.FullName}/{method.Name}";

    // Calls the method with an empty (all-default) request; the status it ends with, OK if none.
    internal static async Task<StatusCode> CallAsync(CallInvoker invoker, MethodDescriptor method, CallOptions options)
    {
        var type = (method.IsClientStreaming, method.IsServerStreaming) switch
        {
            (false, false) => MethodType.Unary,
            (false, true) => MethodType.ServerStreaming,
            (true, false) => MethodType.ClientStreaming,
            _ => MethodType.DuplexStreaming,
        };
        var call = new Method<byte[], byte[]>(type, method.Service.FullName, method.Name, Raw, Raw);
        try
        {
            switch (type)
            {
                case MethodType.Unary:
                    await invoker.AsyncUnaryCall(call, null, options, []);
                    break;
                case MethodType.ServerStreaming:
                    using (var stream = invoker.AsyncServerStreamingCall(call, null, options, []))
                        await stream.ResponseStream.MoveNext();
                    break;
                default:
                    using (var duplex = invoker.AsyncDuplexStreamingCall(call, null, options))
                    {
                        // One all-default request, then the end of the requests: a method that
                        // checks each message (WatchMany's creates) is refused for what opening it
                        // needs before any message is looked at, and otherwise sees one.
                        try
                        {
                            await duplex.RequestStream.WriteAsync([]);
                            await duplex.RequestStream.CompleteAsync();
                        }
                        catch (InvalidOperationException)
                        {
                            // The call already ended: its status comes with the response below.
                        }

                        await duplex.ResponseStream.MoveNext();
                    }

                    break;
            }

            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
    }

    private static string Fill(string pattern, List<string> failures)
    {
        var path = new StringBuilder();
        foreach (var segment in pattern.Split('/'))
        {
            if (segment.Length == 0)
                continue;
            path.Append('/');
            if (segment.StartsWith('{'))
            {
                var name = segment.Trim('{', '}', '*').Split(':', '=', '?')[0];
                if (!Samples.TryGetValue(name, out var value))
                    failures.Add($"{pattern}: no sample value for route parameter '{name}' (add one)");
                path.Append(Uri.EscapeDataString(value ?? "x"));
            }
            else
            {
                path.Append(segment);
            }
        }

        return path.Length == 0 ? "/" : path.ToString();
    }
}
