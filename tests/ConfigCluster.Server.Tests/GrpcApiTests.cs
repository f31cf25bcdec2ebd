using ConfigCluster.Contracts.V1;
using ConfigCluster.Server.Tests.Harness;
using Grpc.Core;

namespace ConfigCluster.Server.Tests;

/// <summary>The gRPC contract (proto/configcluster/v1) through a real gRPC client.</summary>
public sealed class GrpcApiTests
{
    private static KeyPath Key(string key, string env = "") => new() { Key = key, Environment = env };

    [Fact]
    public async Task Kv_OnFollower_PutGetListHistoryRollbackDelete()
    {
        await using var cluster = await TestCluster.StartAsync();
        var kv = new KV.KVClient(cluster[await cluster.FollowerAsync()].Grpc);

        var first = await kv.PutAsync(new PutRequest { Path = Key("svc.url"), ValueJson = "\"http://a\"" });
        await kv.PutAsync(new PutRequest { Path = Key("svc.url"), ValueJson = "\"http://b\"", ExpectedVersion = first.Version });
        await kv.PutAsync(new PutRequest { Path = Key("svc.port"), ValueJson = "8080" });

        var got = await kv.GetAsync(new GetRequest { Path = Key("svc.url") });
        Assert.Equal("\"http://b\"", got.Kv.ValueJson);
        Assert.Equal(2, got.Kv.Version);
        Assert.Equal("\"http://a\"", (await kv.GetAsync(new GetRequest { Path = Key("svc.url"), Version = 1, Consistency = Consistency.Serializable })).Kv.ValueJson);

        var list = await kv.ListAsync(new ListRequest { Prefix = "svc." });
        Assert.Equal(["svc.port", "svc.url"], list.Items.Select(static i => i.Path.Key));

        var history = await kv.HistoryAsync(new HistoryRequest { Path = Key("svc.url") });
        Assert.Equal([Operation.Put, Operation.Put], history.Versions.Select(static v => v.Operation));

        var rolled = await kv.RollbackAsync(new RollbackRequest { Path = Key("svc.url"), ToVersion = 1 });
        Assert.Equal(3, rolled.Version);
        Assert.Equal(1, (await kv.HistoryAsync(new HistoryRequest { Path = Key("svc.url") })).Versions[2].RolledBackFrom);

        await kv.DeleteAsync(new DeleteRequest { Path = Key("svc.url") });
        var missing = await Assert.ThrowsAsync<RpcException>(async () => await kv.GetAsync(new GetRequest { Path = Key("svc.url") }));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Kv_BadInput_MapsToDocumentedStatusCodes()
    {
        await using var cluster = await TestCluster.StartAsync(arguments: ["--max-value-bytes", "64"]);
        var kv = new KV.KVClient(cluster[0].Grpc);
        await kv.PutAsync(new PutRequest { Path = Key("a"), ValueJson = "1" });

        async Task<StatusCode> CodeOf(Func<Task> call) => (await Assert.ThrowsAsync<RpcException>(call)).StatusCode;

        Assert.Equal(StatusCode.InvalidArgument, await CodeOf(async () => await kv.PutAsync(new PutRequest { Path = Key("bad key"), ValueJson = "1" })));
        Assert.Equal(StatusCode.InvalidArgument, await CodeOf(async () => await kv.PutAsync(new PutRequest { Path = Key("a"), ValueJson = "not json" })));
        Assert.Equal(StatusCode.FailedPrecondition, await CodeOf(async () => await kv.PutAsync(new PutRequest { Path = Key("a"), ValueJson = "2", ExpectedVersion = 7 })));
        Assert.Equal(StatusCode.ResourceExhausted, await CodeOf(async () => await kv.PutAsync(new PutRequest { Path = Key("a"), ValueJson = $"\"{new string('x', 100)}\"" })));
        Assert.Equal(StatusCode.NotFound, await CodeOf(async () => await kv.RollbackAsync(new RollbackRequest { Path = Key("a"), ToVersion = 5 })));
        Assert.Equal(StatusCode.NotFound, await CodeOf(async () => await kv.DeleteAsync(new DeleteRequest { Path = Key("never") })));
        Assert.Equal(1, (await kv.GetAsync(new GetRequest { Path = Key("a") })).Kv.Version);
    }

    [Fact]
    public async Task Write_RetriedWithSameRequestId_IsAppliedOnce()
    {
        await using var cluster = await TestCluster.StartAsync();
        var kv0 = new KV.KVClient(cluster[0].Grpc);
        var kv1 = new KV.KVClient(cluster[1].Grpc);

        var first = await kv0.PutAsync(new PutRequest { Path = Key("once"), ValueJson = "1", RequestId = "req-1" });
        var retry = await kv1.PutAsync(new PutRequest { Path = Key("once"), ValueJson = "1", RequestId = "req-1" });

        Assert.Equal(first.Version, retry.Version);
        Assert.Equal(first.Revision, retry.Revision);
        Assert.Single((await kv0.HistoryAsync(new HistoryRequest { Path = Key("once") })).Versions);
    }

    [Fact]
    public async Task ClusterStatus_ShowsOneLeaderAndThreeMembers()
    {
        await using var cluster = await TestCluster.StartAsync();
        var status = await new Cluster.ClusterClient(cluster[2].Grpc).StatusAsync(new StatusRequest { IncludeDigest = true });
        Assert.Equal(3, status.Members.Count);
        Assert.Single(status.Members, static m => m.IsLeader);
        Assert.Equal(status.LeaderId, status.Members.Single(static m => m.IsLeader).NodeId);
        Assert.Equal(64, status.Digest.Length);
    }
}
