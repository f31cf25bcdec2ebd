using System.Net;
using System.Security.Cryptography;
using ConfigCluster.Contracts.V1;
using ConfigCluster.Server.Tests.Harness;
using Grpc.Core;
using Grpc.Net.Client;

namespace ConfigCluster.Server.Tests;

/// <summary>
/// Operations that touch many keys are checked key by key, over HTTP and gRPC alike: a refusal
/// (403 / PermissionDenied) names the first key refused and changes nothing.
/// </summary>
public sealed class ItemAccessTests
{
    private static Dictionary<string, string> MasterKey()
        => new() { ["CONFIGCLUSTER_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) };

    [Fact]
    public async Task ChangeSet_WithAKeyOutsideTheToken_Is403NamingIt_AndChangesNothing()
    {
        await using var cluster = await TestCluster.StartAsync();
        var revision = (await cluster[0].Http.MustPutAsync("billing.rate", 5))["revision"]!.GetValue<long>();
        var token = await cluster.CreateTokenAsync("auth-rw", new TestRule("auth.*", "*", "read", "write", "list"));
        using var service = cluster[1].ClientWith(token);

        await ForbiddenNamingAsync(service.SendAsync(HttpMethod.Post, "/changesets",
            "{\"items\": [{\"op\": \"put\", \"key\": \"auth.x\", \"value\": 1}, {\"op\": \"put\", \"key\": \"billing.rate\", \"value\": 999}]}"), "billing.rate");

        using var channel = GrpcChannel.ForAddress(cluster[2].GrpcUrl);
        var request = new ChangeSetRequest
        {
            Items =
            {
                new ChangeSetItem { Path = new KeyPath { Key = "auth.x" }, ValueJson = "1" },
                new ChangeSetItem { Path = new KeyPath { Key = "billing.rate" }, ValueJson = "999" },
            },
        };
        var denied = await DeniedAsync(async () => await new Environments.EnvironmentsClient(channel).ApplyChangeSetAsync(request, ScopedTokens.Bearer(token)));
        Assert.Contains("billing.rate", denied.Status.Detail);

        var (_, rate) = await cluster[0].Http.GetJsonAsync("/config/billing.rate");
        Assert.Equal(5, rate!["value"]!.GetValue<int>());
        Assert.Equal(revision, rate["revision"]!.GetValue<long>());
        Assert.Equal(HttpStatusCode.NotFound, (await cluster[0].Http.GetJsonAsync("/config/auth.x")).Status);

        // The refusal is on the audit record of the node that refused it, naming the key.
        using var audit = await cluster[1].Http.GetAsync("/audit");
        var lines = (await audit.Content.ReadAsStringAsync()).Split('\n');
        Assert.Contains(lines, l => l.Contains("\"deny\"", StringComparison.Ordinal) && l.Contains("\"billing.rate\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ChangeSet_ItemWithItsOwnEnvironmentOutsideTheToken_IsRefused()
    {
        await using var cluster = await TestCluster.StartAsync();
        var token = await cluster.CreateTokenAsync("staging-rw", new TestRule("*", "staging", "read", "write", "delete", "list"));
        using var service = cluster[0].ClientWith(token);

        await ForbiddenNamingAsync(service.SendAsync(HttpMethod.Post, "/changesets?env=staging",
            "{\"items\": [{\"op\": \"put\", \"key\": \"app.a\", \"value\": 1}, {\"op\": \"put\", \"key\": \"app.b\", \"value\": 2, \"environment\": \"prod\"}]}"), "app.b");

        using var channel = GrpcChannel.ForAddress(cluster[1].GrpcUrl);
        var request = new ChangeSetRequest { Items = { new ChangeSetItem { Path = new KeyPath { Environment = "prod", Key = "app.c" }, ValueJson = "3" } } };
        await DeniedAsync(async () => await new Environments.EnvironmentsClient(channel).ApplyChangeSetAsync(request, ScopedTokens.Bearer(token)));

        Assert.Equal(HttpStatusCode.NotFound, (await cluster[0].Http.GetJsonAsync("/config/app.a?env=staging")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await cluster[0].Http.GetJsonAsync("/config/app.b?env=prod")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await cluster[0].Http.GetJsonAsync("/config/app.c?env=prod")).Status);

        // Within its rules the same token writes.
        var (okStatus, _) = await service.SendAsync(HttpMethod.Post, "/changesets?env=staging", "{\"items\": [{\"op\": \"put\", \"key\": \"app.a\", \"value\": 1}]}");
        Assert.Equal(HttpStatusCode.OK, okStatus);
    }

    [Fact]
    public async Task Promote_IntoKeysTheTokenCannotWrite_IsRefused()
    {
        await using var cluster = await TestCluster.StartAsync();
        var http = cluster[0].Http;
        await http.MustPutAsync("app.timeout", 9, "?env=staging");
        await http.MustPutAsync("db.url", "staging-db", "?env=staging");
        var token = await cluster.CreateTokenAsync("promoter", new TestRule("*", "staging", "read", "list"), new TestRule("app.*", "prod", "write"));
        using var service = cluster[1].ClientWith(token);

        await ForbiddenNamingAsync(service.SendAsync(HttpMethod.Post, "/promote?from=staging&to=prod"), "db.url");

        using var channel = GrpcChannel.ForAddress(cluster[2].GrpcUrl);
        await DeniedAsync(async () => await new Environments.EnvironmentsClient(channel).PromoteAsync(new PromoteRequest { From = "staging", To = "prod" }, ScopedTokens.Bearer(token)));
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetJsonAsync("/config/app.timeout?env=prod")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetJsonAsync("/config/db.url?env=prod")).Status);

        // Only the keys it may write: allowed.
        var (okStatus, ok) = await service.SendAsync(HttpMethod.Post, "/promote?from=staging&to=prod&prefix=app.");
        Assert.Equal(HttpStatusCode.OK, okStatus);
        Assert.Equal(["app.timeout"], ok!["promoted"]!.AsArray().Select(static k => k!.GetValue<string>()));
    }

    [Fact]
    public async Task Promote_FromSecretsTheTokenCannotRead_IsRefused()
    {
        await using var cluster = await TestCluster.StartAsync(environment: MasterKey());
        var http = cluster[0].Http;
        await http.MustPutAsync("plain.flag", true, "?env=staging");
        var (secretStatus, _) = await http.PutJsonAsync("/config/db.password?env=staging", "{\"value\": \"s3cret\", \"secret\": true}");
        Assert.Equal(HttpStatusCode.OK, secretStatus);
        var token = await cluster.CreateTokenAsync("no-secrets", new TestRule("plain.*", "staging", "read", "list"), new TestRule("*", "prod", "read", "write", "list"));
        using var service = cluster[1].ClientWith(token);

        var body = await ForbiddenNamingAsync(service.SendAsync(HttpMethod.Post, "/promote?from=staging&to=prod"), "db.password");
        Assert.DoesNotContain("s3cret", body.ToJsonString());

        using var channel = GrpcChannel.ForAddress(cluster[2].GrpcUrl);
        await DeniedAsync(async () => await new Environments.EnvironmentsClient(channel).PromoteAsync(new PromoteRequest { From = "staging", To = "prod" }, ScopedTokens.Bearer(token)));
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetJsonAsync("/config/db.password?env=prod")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetJsonAsync("/config/plain.flag?env=prod")).Status);
    }

    [Fact]
    public async Task Diff_NeedsListOnBothSides()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster[0].Http.MustPutAsync("app.mode", "fast", "?env=prod");
        await cluster[0].Http.MustPutAsync("app.mode", "slow", "?env=staging");
        var token = await cluster.CreateTokenAsync("staging-list", new TestRule("*", "staging", "read", "list"));
        using var service = cluster[1].ClientWith(token);

        Assert.Equal(HttpStatusCode.Forbidden, (await service.GetJsonAsync("/diff?from=prod&to=staging")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await service.GetJsonAsync("/diff?from=staging&to=prod")).Status);
        using var channel = GrpcChannel.ForAddress(cluster[2].GrpcUrl);
        var environments = new Environments.EnvironmentsClient(channel);
        foreach (var (from, to) in new[] { ("prod", "staging"), ("staging", "prod") })
        {
            await DeniedAsync(async () => await environments.DiffAsync(new DiffRequest { From = from, To = to }, ScopedTokens.Bearer(token)));
        }

        // With list on both sides the same diff answers.
        var both = await cluster.CreateTokenAsync("both-list", new TestRule("*", "*", "list"));
        using var allowed = cluster[1].ClientWith(both);
        var (status, diff) = await allowed.GetJsonAsync("/diff?from=prod&to=staging");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["app.mode"], diff!["changed"]!.AsArray().Select(static c => c!["key"]!.GetValue<string>()));
    }

    private static async Task<System.Text.Json.Nodes.JsonNode> ForbiddenNamingAsync(Task<(HttpStatusCode Status, System.Text.Json.Nodes.JsonNode? Body)> call, string key)
    {
        var (status, body) = await call;
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains(key, body!["error"]!.GetValue<string>());
        return body;
    }

    private static async Task<RpcException> DeniedAsync(Func<Task> call)
    {
        var denied = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        return denied;
    }
}
