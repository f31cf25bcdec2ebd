using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ConfigCluster.Contracts.V1;
using ConfigCluster.Server.Tests.Harness;
using Grpc.Core;
using Grpc.Net.Client;

namespace ConfigCluster.Server.Tests.Acl;

/// <summary>
/// Regression for the content-type finding (a gRPC content type no longer opens HTTP routes) and
/// the limited anonymous cluster status.
/// </summary>
[Collection(AccessClusterCollection.Name)]
public sealed class EdgeAccessTests(AccessCluster fixture)
{
    [Fact]
    public async Task HttpRoute_WithGrpcContentTypeAndNoToken_Gets401_AndIsAuditedAsUnauthenticated()
    {
        var node = fixture.Cluster[0];
        var (put, _) = await node.Http.PutJsonAsync("/config/edge.db.password", "{\"value\": \"hunter2-secret\", \"secret\": true}");
        Assert.Equal(HttpStatusCode.OK, put);
        using var anonymous = AccessCluster.Client(node, null);

        async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpMethod method, string path, string body)
        {
            using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/grpc");
            using var response = await anonymous.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        var secret = await SendAsync(HttpMethod.Get, "/config/edge.db.password", "");
        var mint = await SendAsync(HttpMethod.Post, "/acl/tokens", "{\"name\":\"evil\",\"policies\":[\"root\"]}");
        var list = await SendAsync(HttpMethod.Get, "/config?prefix=", "");

        Assert.Equal(HttpStatusCode.Unauthorized, secret.Status);
        Assert.DoesNotContain("hunter2", secret.Body);
        Assert.Equal(HttpStatusCode.Unauthorized, mint.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, list.Status);
        Assert.DoesNotContain("edge.db.password", list.Body);
        var (_, tokens) = await node.Http.GetJsonAsync("/acl/tokens");
        Assert.DoesNotContain(tokens!["tokens"]!.AsArray(), static t => t!["name"]!.GetValue<string>() == "evil");

        using var audit = await node.Http.GetAsync("/audit");
        var lines = (await audit.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(static l => JsonNode.Parse(l)!).ToList();
        bool Unauthenticated(string operation, string? key) => lines.Any(l => l["decision"]!.GetValue<string>() == "unauthenticated"
            && l["operation"]?.GetValue<string>() == operation && l["key"]?.GetValue<string>() == key);
        Assert.True(Unauthenticated("read", "edge.db.password"), "the secret read is audited as unauthenticated");
        Assert.True(Unauthenticated("token.create", null), "the token mint is audited as unauthenticated");
        Assert.True(Unauthenticated("list", null), "the listing is audited as unauthenticated");
    }

    [Fact]
    public async Task ClusterStatus_WithoutToken_AnswersOnlyRoleLeaderAndTerm_WithTokenMore_DigestNeedsAdmin()
    {
        var node = fixture.Cluster[1];
        using var anonymous = AccessCluster.Client(node, null);
        using var powerless = AccessCluster.Client(node, fixture.PowerlessToken);

        var (status, basic) = await anonymous.GetJsonAsync("/cluster/status");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["leaderId", "nodeId", "role", "term"], basic!.AsObject().Select(static p => p.Key).Order());
        var (_, full) = await powerless.GetJsonAsync("/cluster/status");
        Assert.Equal(3, full!["members"]!.AsArray().Count);
        Assert.NotNull(full["appliedIndex"]);
        Assert.Null(full["digest"]);

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetJsonAsync("/cluster/status?digest=true")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await powerless.GetJsonAsync("/cluster/status?digest=true")).Status);
        var (adminStatus, withDigest) = await node.Http.GetJsonAsync("/cluster/status?digest=true");
        Assert.Equal(HttpStatusCode.OK, adminStatus);
        Assert.Equal(64, withDigest!["digest"]!.GetValue<string>().Length);
    }

    [Fact]
    public async Task GrpcClusterStatus_WithoutToken_IsLimited_DigestNeedsAdmin()
    {
        var node = fixture.Cluster[2];
        using var channel = GrpcChannel.ForAddress(node.GrpcUrl);
        var cluster = new Cluster.ClusterClient(channel);
        var powerless = new Metadata { { "authorization", $"Bearer {fixture.PowerlessToken}" } };

        var basic = await cluster.StatusAsync(new StatusRequest());
        Assert.Equal(node.NodeId, basic.NodeId);
        Assert.NotEmpty(basic.LeaderId);
        Assert.Empty(basic.Members);
        Assert.Equal(0, basic.AppliedIndex);
        var full = await cluster.StatusAsync(new StatusRequest(), powerless);
        Assert.Equal(3, full.Members.Count);
        Assert.True(full.AppliedIndex > 0);
        Assert.Empty(full.Digest);

        var anonymousDigest = await Assert.ThrowsAsync<RpcException>(async () => await cluster.StatusAsync(new StatusRequest { IncludeDigest = true }));
        Assert.Equal(StatusCode.Unauthenticated, anonymousDigest.StatusCode);
        var powerlessDigest = await Assert.ThrowsAsync<RpcException>(async () => await cluster.StatusAsync(new StatusRequest { IncludeDigest = true }, powerless));
        Assert.Equal(StatusCode.PermissionDenied, powerlessDigest.StatusCode);
        Assert.Equal(64, (await new Cluster.ClusterClient(node.Grpc).StatusAsync(new StatusRequest { IncludeDigest = true })).Digest.Length);
    }
}
