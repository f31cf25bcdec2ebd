using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using ConfigCluster.Contracts.V1;
using ConfigCluster.Server.Tests.Harness;
using Grpc.Core;
using Grpc.Net.Client;

namespace ConfigCluster.Server.Tests.Auth;

// Vault's token_bound_cidrs and periodic tokens (token_period, and period on auth/token/create).
public sealed partial class MachineLoginTests
{
    [Fact]
    public async Task TokenBoundCidrs_AppRoleAndJwtTokens_WorkOnlyFromTheirNetworks_OnEveryNode()
    {
        using var admin = Vault(Cluster[0], NodeProcess.AdminToken);
        await MustAsync(admin, HttpMethod.Post, "/v1/auth/approle/role/bound-far", "{\"token_policies\": [\"app-read\"], \"token_bound_cidrs\": [\"10.0.0.0/8\", \"192.168.1.7\"]}");
        await MustAsync(admin, HttpMethod.Post, "/v1/auth/approle/role/bound-here", "{\"token_policies\": [\"app-read\"], \"token_bound_cidrs\": \"127.0.0.0/8, ::1\"}");
        var role = await MustAsync(admin, HttpMethod.Get, "/v1/auth/approle/role/bound-far");
        Assert.Equal(["10.0.0.0/8", "192.168.1.7"], role!["data"]!["token_bound_cidrs"]!.AsArray().Select(static c => c!.GetValue<string>()));

        async Task<string> AppRoleTokenAsync(string name)
        {
            var roleId = (await MustAsync(admin, HttpMethod.Get, $"/v1/auth/approle/role/{name}/role-id"))!["data"]!["role_id"]!.GetValue<string>();
            var secretId = (await MustAsync(admin, HttpMethod.Post, $"/v1/auth/approle/role/{name}/secret-id"))!["data"]!["secret_id"]!.GetValue<string>();
            var login = await LoginAsync(Cluster[1], roleId, secretId);   // login itself is not bound
            Assert.Equal(HttpStatusCode.OK, login.Status);
            return login.Body!["auth"]!["client_token"]!.GetValue<string>();
        }

        var far = await AppRoleTokenAsync("bound-far");
        var here = await AppRoleTokenAsync("bound-here");

        // JWT roles bind the same way.
        var config = new JsonObject { ["jwt_validation_pubkeys"] = new JsonArray(fixture.Keys.RsaPem), ["jwks"] = fixture.Keys.EcJwks, ["bound_issuer"] = TestJwt.Issuer };
        await MustAsync(admin, HttpMethod.Post, "/v1/auth/jwt/config", config.ToJsonString());
        await MustAsync(admin, HttpMethod.Post, "/v1/auth/jwt/role/bound-jwt", $"{{\"bound_audiences\": \"{TestJwt.Audience}\", \"bound_subject\": \"system:serviceaccount:shop:web\", \"token_policies\": \"app-read\", \"token_bound_cidrs\": [\"10.1.0.0/16\"]}}");
        var jwt = await JwtLoginAsync(Cluster[2], "bound-jwt", fixture.Keys.SignRs256(TestJwt.ServiceAccount("shop", "web", TimeSpan.FromMinutes(10))));
        Assert.True(jwt.Status == HttpStatusCode.OK, jwt.Body?["errors"]?.ToJsonString());
        var farJwt = jwt.Body!["auth"]!["client_token"]!.GetValue<string>();
        Assert.Equal(["10.1.0.0/16"], (await MustAsync(admin, HttpMethod.Get, "/v1/auth/jwt/role/bound-jwt"))!["data"]!["token_bound_cidrs"]!.AsArray().Select(static c => c!.GetValue<string>()));

        foreach (var node in Cluster.Nodes)
        {
            using var allowed = Vault(node, here);
            await Eventually.WaitAsync(async () => (await allowed.SendAsync(HttpMethod.Get, "/v1/auth/token/lookup-self")).Status == HttpStatusCode.OK, Timeout, "the loopback-bound token on " + node.NodeId);
            var lookup = await MustAsync(allowed, HttpMethod.Get, "/v1/auth/token/lookup-self");
            Assert.Equal(["127.0.0.0/8", "::1"], lookup!["data"]!["bound_cidrs"]!.AsArray().Select(static c => c!.GetValue<string>()));
            foreach (var token in new[] { far, farJwt })
            {
                using var refused = Vault(node, token);
                // Known on this node (not 401 for an unknown token) but refused from here, in Vault's shape.
                await Eventually.WaitAsync(async () => (await refused.SendAsync(HttpMethod.Get, "/v1/auth/token/lookup-self")).Status != HttpStatusCode.Unauthorized, Timeout, "the token to reach " + node.NodeId);
                var (status, body) = await refused.SendAsync(HttpMethod.Get, "/v1/secret/data/app/x");
                Assert.Equal(HttpStatusCode.Forbidden, status);
                Assert.Contains("permission denied", body!["errors"]![0]!.GetValue<string>(), StringComparison.Ordinal);
                Assert.Equal(HttpStatusCode.Forbidden, (await refused.SendAsync(HttpMethod.Post, "/v1/auth/token/renew-self", "{}")).Status);
            }

            // gRPC alike: PERMISSION_DENIED for the bound-elsewhere tokens, served for the loopback-bound one.
            using var channel = GrpcChannel.ForAddress(node.GrpcUrl);
            var kv = new KV.KVClient(channel);
            var read = new GetRequest { Path = new KeyPath { Key = "app.bound-none" } };
            foreach (var token in new[] { far, farJwt })
            {
                var denied = await Assert.ThrowsAsync<RpcException>(async () => await kv.GetAsync(read, new Metadata { { "authorization", $"Bearer {token}" } }));
                Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
                Assert.Contains("may not be used from this address", denied.Status.Detail, StringComparison.Ordinal);
            }

            var served = await Assert.ThrowsAsync<RpcException>(async () => await kv.GetAsync(read, new Metadata { { "authorization", $"Bearer {here}" } }));
            Assert.Equal(StatusCode.NotFound, served.StatusCode);   // allowed through; the key does not exist
        }

        // Bad networks and periods: 400, the role stays as it was.
        var cases = new (string Path, string Body, string Error)[]
        {
            ("/v1/auth/approle/role/bound-far", "{\"token_bound_cidrs\": [\"not-a-network\"]}", "token_bound_cidrs: 'not-a-network'"),
            ("/v1/auth/approle/role/bound-far", "{\"token_bound_cidrs\": \"10.0.0.0/33\"}", "token_bound_cidrs: '10.0.0.0/33'"),
            ("/v1/auth/approle/role/bound-far", "{\"token_bound_cidrs\": [1]}", "token_bound_cidrs must be a list"),
            ("/v1/auth/approle/role/bound-far", "{\"token_period\": \"often\"}", "token_period"),
            ("/v1/auth/jwt/role/bound-jwt", "{\"token_bound_cidrs\": [\"10.1.0.0/16/2\"]}", "token_bound_cidrs"),
            ("/v1/auth/token/create", "{\"period\": \"sometimes\"}", "period"),
        };
        foreach (var (path, body, error) in cases)
        {
            var (status, answer) = await admin.SendAsync(HttpMethod.Post, path, body);
            Assert.True(status == HttpStatusCode.BadRequest, $"{path} {body}: {(int)status}");
            Assert.Contains(error, answer!["errors"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        }

        role = await MustAsync(admin, HttpMethod.Get, "/v1/auth/approle/role/bound-far");
        Assert.Equal(["10.0.0.0/8", "192.168.1.7"], role!["data"]!["token_bound_cidrs"]!.AsArray().Select(static c => c!.GetValue<string>()));
        Assert.Equal(0, role["data"]!["token_period"]!.GetValue<long>());
    }

    [Fact]
    public async Task PeriodicToken_RenewsByItsPeriodPastAnyMaxTtl_AndExpiresOnceNotRenewed()
    {
        using var admin = Vault(Cluster[1], NodeProcess.AdminToken);

        // auth/token/create with a period: its TTL is the period (ttl is ignored), renewable.
        var created = await MustAsync(admin, HttpMethod.Post, "/v1/auth/token/create", "{\"policies\": [\"app-read\"], \"period\": \"1h\", \"ttl\": \"5s\", \"display_name\": \"periodic\"}");
        Assert.Equal(3600, created!["auth"]!["lease_duration"]!.GetValue<long>());
        Assert.True(created["auth"]!["renewable"]!.GetValue<bool>());
        using (var periodic = Vault(Cluster[2], created["auth"]!["client_token"]!.GetValue<string>()))
        {
            await Eventually.WaitAsync(async () => (await periodic.SendAsync(HttpMethod.Get, "/v1/auth/token/lookup-self")).Status == HttpStatusCode.OK, Timeout, "the periodic token on another node");
            var lookup = (await MustAsync(periodic, HttpMethod.Get, "/v1/auth/token/lookup-self"))!["data"]!;
            Assert.Equal(3600, lookup["period"]!.GetValue<long>());
            Assert.InRange(lookup["ttl"]!.GetValue<long>(), 3500, 3600);
            Assert.Equal(0, lookup["explicit_max_ttl"]!.GetValue<long>());
            // Renewing asks for 10 s; a periodic token gets its period.
            var renewed = await RenewAsync(periodic, "10s");
            Assert.InRange(renewed!["auth"]!["lease_duration"]!.GetValue<long>(), 3500, 3600);
        }

        // An AppRole role with a 5 s period and a 6 s max TTL: the period wins, there is no max TTL.
        await MustAsync(admin, HttpMethod.Post, "/v1/auth/approle/role/periodic", "{\"token_policies\": [\"app-read\"], \"token_period\": \"5s\", \"token_max_ttl\": \"6s\", \"token_ttl\": \"2s\"}");
        Assert.Equal(5, (await MustAsync(admin, HttpMethod.Get, "/v1/auth/approle/role/periodic"))!["data"]!["token_period"]!.GetValue<long>());
        var roleId = (await MustAsync(admin, HttpMethod.Get, "/v1/auth/approle/role/periodic/role-id"))!["data"]!["role_id"]!.GetValue<string>();
        var secretId = (await MustAsync(admin, HttpMethod.Post, "/v1/auth/approle/role/periodic/secret-id"))!["data"]!["secret_id"]!.GetValue<string>();
        var login = await LoginAsync(Cluster[0], roleId, secretId);
        Assert.Equal(HttpStatusCode.OK, login.Status);
        var clock = Stopwatch.StartNew();
        Assert.InRange(login.Body!["auth"]!["lease_duration"]!.GetValue<long>(), 4, 5);
        using var self = Vault(Cluster[MachineLoginCluster.SkewedNode], login.Body["auth"]!["client_token"]!.GetValue<string>());
        await Eventually.WaitAsync(async () => (await self.SendAsync(HttpMethod.Get, "/v1/auth/token/lookup-self")).Status == HttpStatusCode.OK, Timeout, "the periodic token on the skewed node");

        // Renewed each time its TTL runs low, it outlives the role's 6 s max TTL by far.
        var renewals = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(13))
        {
            await Eventually.WaitAsync(async () =>
            {
                var (status, body) = await self.SendAsync(HttpMethod.Get, "/v1/auth/token/lookup-self");
                Assert.Equal(HttpStatusCode.OK, status);
                return body!["data"]!["ttl"]!.GetValue<long>() <= 2;
            }, Timeout, "the periodic token's TTL to run low");
            var renewed = await RenewAsync(self, "1s");
            Assert.InRange(renewed!["auth"]!["lease_duration"]!.GetValue<long>(), 4, 5);
            renewals++;
        }

        Assert.True(renewals >= 3, $"{renewals} renewals");
        Assert.Equal(HttpStatusCode.OK, (await self.SendAsync(HttpMethod.Get, "/v1/auth/token/lookup-self")).Status);

        // Not renewed any more: it expires, on every node.
        foreach (var node in Cluster.Nodes)
        {
            using var client = Vault(node, login.Body["auth"]!["client_token"]!.GetValue<string>());
            await Eventually.WaitAsync(async () => (await client.SendAsync(HttpMethod.Get, "/v1/auth/token/lookup-self")).Status == HttpStatusCode.Unauthorized, Timeout, "the periodic token to expire on " + node.NodeId);
        }
    }

    // renew-self, tried again while the cluster answers 503 (no leader for a moment: the machine is
    // shared, and elections happen); any other refusal fails at once.
    private static async Task<JsonNode?> RenewAsync(HttpClient client, string increment)
    {
        JsonNode? answer = null;
        await Eventually.WaitAsync(async () =>
        {
            var (status, body) = await client.SendAsync(HttpMethod.Post, "/v1/auth/token/renew-self", $"{{\"increment\": \"{increment}\"}}");
            Assert.True(status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"renew-self: {(int)status} {body?["errors"]?.ToJsonString()}");
            answer = body;
            return status == HttpStatusCode.OK;
        }, Timeout, "renew-self to succeed");
        return answer;
    }
}
