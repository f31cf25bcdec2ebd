using System.Net;
using ConfigCluster.Server.Tests.Harness;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;

namespace ConfigCluster.Server.Tests;

/// <summary>The framework's probes (HTTP health checks, grpc.health.v1) and gRPC server reflection.</summary>
public sealed class HealthAndDiscoveryTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task HealthProbes_OnAReadyNode_AnswerOverHttpAndGrpcHealth_WithoutAToken()
    {
        await using var cluster = await TestCluster.StartAsync(count: 1);
        var node = cluster[0];

        var (liveStatus, live) = await node.Anonymous.GetJsonAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, liveStatus);
        Assert.Equal("live", live!["status"]!.GetValue<string>());

        await Eventually.WaitAsync(async () => (await node.Anonymous.GetJsonAsync("/health/ready")).Status == HttpStatusCode.OK, Timeout, "the node to be ready");
        var (_, ready) = await node.Anonymous.GetJsonAsync("/health/ready");
        Assert.Equal("ready", ready!["status"]!.GetValue<string>());
        Assert.True(ready["leaderKnown"]!.GetValue<bool>());
        Assert.True(ready["caughtUp"]!.GetValue<bool>());
        Assert.True(ready["appliedIndex"]!.GetValue<long>() >= ready["commitIndex"]!.GetValue<long>());

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await GrpcHealthAsync(node.GrpcUrl));
    }

    [Fact]
    public async Task HealthReady_WhileTheNodeWaitsToJoin_Answers503NotReady()
    {
        await using var cluster = await TestCluster.StartAsync(count: 1, arguments: ["--join"], waitForLeader: false);
        var node = cluster[0];
        await Eventually.WaitAsync(async () => (await node.Anonymous.GetJsonAsync("/health/live")).Status == HttpStatusCode.OK, Timeout, "the node to answer");

        var (status, body) = await node.Anonymous.GetJsonAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("not-ready", body!["status"]!.GetValue<string>());
        Assert.False(body["leaderKnown"]!.GetValue<bool>());

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await GrpcHealthAsync(node.GrpcUrl));
    }

    [Fact]
    public async Task GrpcReflection_WithTheOption_ListsTheServicesToAdminsOnly()
    {
        await using var cluster = await TestCluster.StartAsync(count: 1, arguments: ["--grpc-reflection"]);
        var node = cluster[0];

        var services = await ListServicesAsync(node.Grpc);
        Assert.Contains("configcluster.v1.KV", services);
        Assert.Contains("grpc.health.v1.Health", services);

        using var anonymous = GrpcChannel.ForAddress(node.GrpcUrl);
        var refused = await Assert.ThrowsAsync<RpcException>(() => ListServicesAsync(anonymous));
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
    }

    [Fact]
    public async Task GrpcReflection_ByDefault_IsNotServed()
    {
        await using var cluster = await TestCluster.StartAsync(count: 1);
        var missing = await Assert.ThrowsAsync<RpcException>(() => ListServicesAsync(cluster[0].Grpc));
        Assert.Equal(StatusCode.Unimplemented, missing.StatusCode);
    }

    // grpc.health.v1 Check of the whole server (service ""), without a token.
    private static async Task<HealthCheckResponse.Types.ServingStatus> GrpcHealthAsync(string url)
    {
        using var anonymous = GrpcChannel.ForAddress(url);
        using var deadline = new CancellationTokenSource(Timeout);
        return (await new Health.HealthClient(anonymous).CheckAsync(new HealthCheckRequest(), cancellationToken: deadline.Token)).Status;
    }

    private static async Task<List<string>> ListServicesAsync(GrpcChannel channel)
    {
        using var deadline = new CancellationTokenSource(Timeout);
        using var call = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo(cancellationToken: deadline.Token);
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" }, deadline.Token);
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(deadline.Token));
        return [.. call.ResponseStream.Current.ListServicesResponse.Service.Select(static s => s.Name)];
    }
}
