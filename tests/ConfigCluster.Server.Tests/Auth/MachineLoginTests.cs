using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests.Auth;

/// <summary>
/// AppRole and JWT login against a three-node cluster whose third node's clock is 90 minutes behind:
/// the npm node-vault client through a follower, secret-id uses and TTLs and token expiry judged by
/// the log on every node alike, renewal capped at the max TTL, bad input refused in Vault's shape
/// with nothing changed, and no secret id, token or JWT on disk or in a log.
/// </summary>
[Collection(MachineLoginCollection.Name)]
public sealed partial class MachineLoginTests(MachineLoginCluster fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private TestCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task NodeVaultClient_AppRoleAndJwtLogin_WorkThroughAFollower()
    {
        var follower = Cluster[await Cluster.FollowerAsync()];
        var now = DateTimeOffset.UtcNow;
        var (code, output) = await NodeClients.RunAsync("vault-auth.js", new Dictionary<string, string>
        {
            ["VAULT_ADDR"] = follower.HttpUrl,
            ["VAULT_TOKEN"] = NodeProcess.AdminToken,
            ["JWT_PEM"] = fixture.Keys.RsaPem,
            ["JWT_ISSUER"] = TestJwt.Issuer,
            ["JWT_AUDIENCE"] = TestJwt.Audience,
            ["JWT_GOOD"] = fixture.Keys.SignRs256(TestJwt.ServiceAccount("shop", "web", TimeSpan.FromMinutes(10))),
            ["JWT_EXPIRED"] = fixture.Keys.SignRs256(TestJwt.ServiceAccount("shop", "web", TimeSpan.FromMinutes(5), now: now - TimeSpan.FromMinutes(20))),
            ["JWT_WRONG_AUDIENCE"] = fixture.Keys.SignRs256(TestJwt.ServiceAccount("shop", "web", TimeSpan.FromMinutes(10), audience: "someone-else")),
        }, TimeSpan.FromMinutes(2));
        Assert.True(code == 0, $"node-vault script failed ({code}):\n{output}");
        Assert.Contains("all steps passed", output);
    }

    [Fact]
    public async Task AppRoleSecretId_UsesAndTtl_AreJudgedByTheLog_OnEveryNode()
    {
        using var admin = Vault(Cluster[0], NodeProcess.AdminToken);
        await MustAsync(admin, HttpMethod.Post, "/v1/auth/approle/role/uses", "{\"token_policies\": [\"app-read\"], \"secret_id_num_uses\": 2, \"token_ttl\": \"1m\"}");
        await MustAsync(admin, HttpMethod.Post, "/v1/auth/approle/role/ttl", "{\"token_policies\": \"app-read\", \"secret_id_ttl\": 3, \"token_ttl\": 60}");
        var usesRoleId = (await MustAsync(admin, HttpMethod.Get, "/v1/auth/approle/role/uses/role-id"))!["data"]!["role_id"]!.GetValue<string>();
        var ttlRoleId = (await MustAsync(admin, HttpMethod.Get, "/v1/auth/approle/role/ttl/role-id"))!["data"]!["role_id"]!.GetValue<string>();
        var secret = (await MustAsync(admin, HttpMethod.Post, "/v1/auth/approle/role/uses/secret-id"))!["data"]!;
        Assert.Equal(2, secret["secret_id_num_uses"]!.GetValue<long>());
        var secretId = secret["secret_id"]!.GetValue<string>();

        // Two uses, spent on two different nodes; the third login, on the third node, is refused.
        var first = await LoginAsync(Cluster[0], usesRoleId, secretId);
        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal(["app-read"], first.Body!["auth"]!["policies"]!.AsArray().Select(static p => p!.GetValue<string>()));
        Assert.Equal(60, first.Body!["auth"]!["lease_duration"]!.GetValue<long>());
        Assert.True(first.Body!["auth"]!["renewable"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(Cluster[1], usesRoleId, secretId)).Status);
        var third = await LoginAsync(Cluster[MachineLoginCluster.SkewedNode], usesRoleId, secretId);
        Assert.Equal(HttpStatusCode.BadRequest, third.Status);
        Assert.Equal("invalid role or secret ID", third.Body!["errors"]![0]!.GetValue<string>());

        // The issued token works on every node (read access by its policy).
        var issued = first.Body!["auth"]!["client_token"]!.GetValue<string>();
        await Cluster[0].Http.MustPutAsync("app.color", "blue");
        foreach (var node in Cluster.Nodes)
        {
            using var app = Vault(node, issued);
            await Eventually.WaitAsync(async () => (await app.SendAsync(HttpMethod.Get, "/config/app.color?consistency=serializable")).Status == HttpStatusCode.OK, Timeout, $"the AppRole token to read on {node.NodeId}");
            Assert.Equal(HttpStatusCode.Forbidden, (await app.PutValueAsync("app.color", "red")).Status);
        }

        // A secret id with a 3 s TTL: logins work until the log clock passes it, on the skewed node too.
        var timed = (await MustAsync(admin, HttpMethod.Post, "/v1/auth/approle/role/ttl/secret-id"))!["data"]!["secret_id"]!.GetValue<string>();
        var issuedAt = Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(Cluster[MachineLoginCluster.SkewedNode], ttlRoleId, timed)).Status);
        await Eventually.WaitAsync(async () => (await LoginAsync(Cluster[1], ttlRoleId, timed)).Status == HttpStatusCode.BadRequest, Timeout, "the secret id to expire");
        Assert.True(issuedAt.Elapsed > TimeSpan.FromSeconds(2), $"the 3 s secret id expired after {issuedAt.Elapsed.TotalSeconds:0.0} s");
        // The skewed node agrees within the spread of the nodes' apply moments (its clock, 90 minutes behind, plays no part).
        var refusedOn1 = issuedAt.Elapsed;
        await Eventually.WaitAsync(async () => (await LoginAsync(Cluster[MachineLoginCluster.SkewedNode], ttlRoleId, timed)).Status == HttpStatusCode.BadRequest, Timeout, "the skewed node to refuse the expired secret id");
        Assert.True(issuedAt.Elapsed - refusedOn1 < TimeSpan.FromSeconds(1), $"the skewed node refused {(issuedAt.Elapsed - refusedOn1).TotalMilliseconds:0} ms after node 2");
        Assert.Equal(HttpStatusCode.BadRequest, (await LoginAsync(Cluster[1], ttlRoleId, timed)).Status);

        // Neither the secret ids nor the token are on any node's disk (WAL, store, audit) or in its log.
        foreach (var node in Cluster.Nodes)
        {
            foreach (var needle in new[] { secretId, timed, issued })
            {
                Assert.False(node.Log.Contains(needle, StringComparison.Ordinal), $"{node.NodeId}'s log holds a secret");
                Assert.False(await DiskHoldsAsync(node.DataDirectory, needle), $"{node.NodeId}'s data directory holds a secret in plain text");
            }
        }
    }

    [Fact]
    public async Task Token_ExpiresOnEveryNodeWithinOneSecond_EvenOnANodeWhoseClockIsBehind()
    {
        using var admin = Vault(Cluster[0], NodeProcess.AdminToken);
        await MustAsync(admin, HttpMethod.Post, "/v1/auth/approle/role/short", "{\"token_policies\": [\"app-read\"], \"token_ttl\": \"4s\", \"token_max_ttl\": \"4s\"}");
        var roleId = (await MustAsync(admin, HttpMethod.Get, "/v1/auth/approle/role/short/role-id"))!["data"]!["role_id"]!.GetValue<string>();
        var secretId = (await MustAsync(admin, HttpMethod.Post, "/v1/auth/approle/role/short/secret-id"))!["data"]!["secret_id"]!.GetValue<string>();
        var login = await LoginAsync(Cluster[MachineLoginCluster.SkewedNode], roleId, secretId);
        var clock = Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.OK, login.Status);
        var token = login.Body!["auth"]!["client_token"]!.GetValue<string>();

        // Every node polls lookup-self until it refuses. Compared: when each node's last acceptance
        // was asked for (it was judged after that) and when each first refusal came back (it was
        // judged before that), so a slow answer on a loaded machine widens neither side.
        var seen = await Task.WhenAll(Cluster.Nodes.Select(async node =>
        {
            using var client = Vault(node, token);
            TimeSpan? lastAcceptedSent = null;
            while (clock.Elapsed < TimeSpan.FromSeconds(30))
            {
                var sent = clock.Elapsed;
                var status = (await client.SendAsync(HttpMethod.Get, "/v1/auth/token/lookup-self")).Status;
                if (status == HttpStatusCode.OK)
                    lastAcceptedSent = sent;
                else if (lastAcceptedSent is not null && status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                    return (LastAcceptedSent: lastAcceptedSent.Value, RefusedSent: sent, RefusedReceived: clock.Elapsed);
                await Task.Delay(25);
            }

            return (LastAcceptedSent: TimeSpan.MaxValue, RefusedSent: TimeSpan.MaxValue, RefusedReceived: TimeSpan.MaxValue);
        }));
        var report = string.Join(", ", seen.Select(static s => $"accepted {s.LastAcceptedSent.TotalSeconds:0.00} s, refused {s.RefusedSent.TotalSeconds:0.00}-{s.RefusedReceived.TotalSeconds:0.00} s"));
        Assert.All(seen, s => Assert.True(s.RefusedReceived != TimeSpan.MaxValue, "a node accepted the token for 30 s: " + report));
        // No node accepted the token a second after another had refused it.
        var disagreement = seen.Max(static s => s.LastAcceptedSent) - seen.Min(static s => s.RefusedReceived);
        Assert.True(disagreement < TimeSpan.FromSeconds(1), $"a node accepted the token {disagreement.TotalMilliseconds:0} ms after another refused it: {report}");
        Assert.True(seen.Min(static s => s.RefusedSent) > TimeSpan.FromSeconds(2.5), $"a 4 s token was refused early: {report}");
    }

    [Fact]
    public async Task RenewSelf_ExtendsUpToTheMaxTtl_ThenTheTokenExpires()
    {
        using var admin = Vault(Cluster[0], NodeProcess.AdminToken);
        await MustAsync(admin, HttpMethod.Post, "/v1/auth/approle/role/renewing", "{\"token_policies\": [\"app-read\"], \"token_ttl\": \"3s\", \"token_max_ttl\": \"6s\"}");
        var roleId = (await MustAsync(admin, HttpMethod.Get, "/v1/auth/approle/role/renewing/role-id"))!["data"]!["role_id"]!.GetValue<string>();
        var secretId = (await MustAsync(admin, HttpMethod.Post, "/v1/auth/approle/role/renewing/secret-id"))!["data"]!["secret_id"]!.GetValue<string>();
        var login = await LoginAsync(Cluster[1], roleId, secretId);
        var clock = Stopwatch.StartNew();
        var token = login.Body!["auth"]!["client_token"]!.GetValue<string>();
        using var self = Vault(Cluster[MachineLoginCluster.SkewedNode], token);
        await Eventually.WaitAsync(async () => (await self.SendAsync(HttpMethod.Get, "/v1/auth/token/lookup-self")).Status == HttpStatusCode.OK, Timeout, "the token on the skewed node");

        var renewed = await MustAsync(self, HttpMethod.Post, "/v1/auth/token/renew-self", "{\"increment\": \"3s\"}");
        Assert.InRange(renewed!["auth"]!["lease_duration"]!.GetValue<long>(), 2, 3);
        // Asking for far more gives at most what the max TTL leaves.
        var capped = await MustAsync(self, HttpMethod.Post, "/v1/auth/token/renew-self", "{\"increment\": \"1h\"}");
        Assert.InRange(capped!["auth"]!["lease_duration"]!.GetValue<long>(), 1, 6);
        var lookup = await MustAsync(self, HttpMethod.Get, "/v1/auth/token/lookup-self");
        Assert.InRange(lookup!["data"]!["ttl"]!.GetValue<long>(), 0, 6);
        Assert.Equal(6, lookup["data"]!["explicit_max_ttl"]!.GetValue<long>());

        await Eventually.WaitAsync(async () => (await self.SendAsync(HttpMethod.Get, "/v1/auth/token/lookup-self")).Status != HttpStatusCode.OK, Timeout, "the renewed token to reach its max TTL");
        Assert.InRange(clock.Elapsed.TotalSeconds, 4.5, 12);
        Assert.NotEqual(HttpStatusCode.OK, (await self.SendAsync(HttpMethod.Post, "/v1/auth/token/renew-self", "{}")).Status);
    }

    [Fact]
    public async Task Jwt_Login_AcceptsServiceAccountTokens_AndRefusesBadOnes_ChangingNothing()
    {
        using var admin = Vault(Cluster[0], NodeProcess.AdminToken);
        var config = new JsonObject { ["jwt_validation_pubkeys"] = new JsonArray(fixture.Keys.RsaPem), ["jwks"] = fixture.Keys.EcJwks, ["bound_issuer"] = TestJwt.Issuer };
        await MustAsync(admin, HttpMethod.Post, "/v1/auth/jwt/config", config.ToJsonString());
        await MustAsync(admin, HttpMethod.Post, "/v1/auth/jwt/role/shop-web", new JsonObject
        {
            ["role_type"] = "jwt",
            ["bound_audiences"] = new JsonArray(TestJwt.Audience),
            ["bound_subject"] = "system:serviceaccount:shop:web",
            ["bound_claims"] = new JsonObject { ["kubernetes.io/namespace"] = "shop" },
            ["user_claim"] = "sub",
            ["token_policies"] = new JsonArray("app-read"),
            ["token_ttl"] = "5m",
            ["token_max_ttl"] = "10m",
        }.ToJsonString());
        await MustAsync(admin, HttpMethod.Post, "/v1/auth/jwt/role/shop-any", "{\"bound_audiences\": \"configcluster\", \"bound_claims\": {\"/kubernetes.io/namespace\": [\"shop\"]}, \"token_policies\": \"app-read\"}");

        // RS256 through the node whose clock is 90 minutes behind (its own clock would call the token not yet valid), ES256 through another.
        var rsa = await JwtLoginAsync(Cluster[MachineLoginCluster.SkewedNode], "shop-web", fixture.Keys.SignRs256(TestJwt.ServiceAccount("shop", "web", TimeSpan.FromMinutes(10))));
        Assert.True(rsa.Status == HttpStatusCode.OK, rsa.Body?["errors"]?.ToJsonString());
        Assert.Equal(300, rsa.Body!["auth"]!["lease_duration"]!.GetValue<long>());
        var ec = await JwtLoginAsync(Cluster[1], "shop-any", fixture.Keys.SignEs256(TestJwt.ServiceAccount("shop", "api", TimeSpan.FromMinutes(10))));
        Assert.True(ec.Status == HttpStatusCode.OK, ec.Body?["errors"]?.ToJsonString());
        using (var app = Vault(Cluster[1], ec.Body!["auth"]!["client_token"]!.GetValue<string>()))
        {
            var lookup = await MustAsync(app, HttpMethod.Get, "/v1/auth/token/lookup-self");
            Assert.Equal("jwt-system:serviceaccount:shop:api", lookup!["data"]!["display_name"]!.GetValue<string>());
            Assert.Equal(["app-read"], lookup["data"]!["policies"]!.AsArray().Select(static p => p!.GetValue<string>()));
        }

        var tokensBefore = await TokenCountAsync();
        using var stranger = RSA();
        var now = DateTimeOffset.UtcNow;
        var good = TestJwt.ServiceAccount("shop", "web", TimeSpan.FromMinutes(10));
        var cases = new (string Why, string Role, string Jwt, string Error)[]
        {
            ("expired", "shop-web", fixture.Keys.SignRs256(TestJwt.ServiceAccount("shop", "web", TimeSpan.FromMinutes(5), now: now - TimeSpan.FromMinutes(20))), "expired"),
            ("not yet valid", "shop-web", fixture.Keys.SignRs256(TestJwt.ServiceAccount("shop", "web", TimeSpan.FromMinutes(30), now: now + TimeSpan.FromMinutes(10))), "not yet valid"),
            ("wrong audience", "shop-web", fixture.Keys.SignRs256(TestJwt.ServiceAccount("shop", "web", TimeSpan.FromMinutes(10), audience: "vault")), "audience"),
            ("wrong issuer", "shop-web", fixture.Keys.SignRs256(TestJwt.ServiceAccount("shop", "web", TimeSpan.FromMinutes(10), issuer: "https://evil.example")), "issuer"),
            ("wrong subject", "shop-web", fixture.Keys.SignRs256(TestJwt.ServiceAccount("shop", "admin", TimeSpan.FromMinutes(10))), "subject"),
            ("wrong namespace", "shop-any", fixture.Keys.SignEs256(TestJwt.ServiceAccount("billing", "web", TimeSpan.FromMinutes(10))), "kubernetes.io/namespace"),
            ("signed by another key", "shop-web", SignWith(stranger, good), "signature"),
            ("tampered claims", "shop-web", Tamper(fixture.Keys.SignRs256(good)), "signature"),
            ("alg none", "shop-web", TestJwt.Unsigned(good), "algorithm"),
            ("not a JWT", "shop-web", "not.a-jwt", "base64url"),
            ("unknown role", "nope", fixture.Keys.SignRs256(good), "could not be found"),
        };
        foreach (var (why, roleName, jwt, error) in cases)
        {
            var (status, body) = await JwtLoginAsync(Cluster[1], roleName, jwt);
            Assert.True(status == HttpStatusCode.BadRequest, $"{why}: {(int)status}");
            var message = body!["errors"]![0]!.GetValue<string>();
            Assert.True(message.Contains(error, StringComparison.Ordinal), $"{why}: '{message}' does not say '{error}'");
            Assert.DoesNotContain(jwt.Split('.')[1], message, StringComparison.Ordinal);
        }

        // Bad config and roles: 400, the config and roles stay as they were.
        var badInput = new (string Path, string Body, string Error)[]
        {
            ("/v1/auth/jwt/config", "{\"jwks_url\": \"http://kubernetes.default.svc/openid/v1/jwks\"}", "jwks_url must be an https:// URL"),
            ("/v1/auth/jwt/config", "{\"jwt_validation_pubkeys\": [\"not a key\"]}", "is not a PEM"),
            ("/v1/auth/jwt/config", "{\"jwks\": \"{\\\"keys\\\": [{\\\"kty\\\": \\\"oct\\\"}]}\"}", "jwks key 0"),
            ("/v1/auth/jwt/config", "{}", "needs jwt_validation_pubkeys, jwks or jwks_url"),
            ("/v1/auth/jwt/role/shop-web", "{\"bound_audiences\": [], \"bound_subject\": \"\", \"bound_claims\": {}}", "at least one bound constraint"),
            ("/v1/auth/jwt/role/shop-web", "{\"token_ttl\": \"2h\", \"token_max_ttl\": \"1h\"}", "token_ttl must not be greater"),
            ("/v1/auth/jwt/role/shop-web", "{\"role_type\": \"oidc\"}", "role_type"),
            ("/v1/auth/jwt/role/shop-web", "{\"bound_claims\": [1]}", "bound_claims"),
            ("/v1/auth/jwt/login", "{\"role\": \"shop-web\"}", "missing token"),
        };
        foreach (var (path, body, error) in badInput)
        {
            var (status, answer) = await admin.SendAsync(HttpMethod.Post, path, body);
            Assert.True(status == HttpStatusCode.BadRequest, $"{path} {body}: {(int)status}");
            Assert.Contains(error, answer!["errors"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        }

        var kept = await MustAsync(admin, HttpMethod.Get, "/v1/auth/jwt/config");
        Assert.Equal(fixture.Keys.RsaPem, kept!["data"]!["jwt_validation_pubkeys"]![0]!.GetValue<string>());
        Assert.True(kept["data"]!["jwks_configured"]!.GetValue<bool>());
        var role = await MustAsync(admin, HttpMethod.Get, "/v1/auth/jwt/role/shop-web");
        Assert.Equal(300, role!["data"]!["token_ttl"]!.GetValue<long>());
        Assert.Equal(["shop"], role["data"]!["bound_claims"]!["kubernetes.io/namespace"]!.AsArray().Select(static v => v!.GetValue<string>()));
        Assert.Equal(tokensBefore, await TokenCountAsync());
        var roles = await MustAsync(admin, new HttpMethod("LIST"), "/v1/auth/jwt/role");
        var names = roles!["data"]!["keys"]!.AsArray().Select(static k => k!.GetValue<string>()).ToList();
        Assert.Contains("shop-any", names);
        Assert.Contains("shop-web", names);
    }

    [Fact]
    public async Task AppRole_BadInput_GetsVaultErrors_AndChangesNothing()
    {
        using var admin = Vault(Cluster[1], NodeProcess.AdminToken);
        await MustAsync(admin, HttpMethod.Post, "/v1/auth/approle/role/steady", "{\"token_policies\": [\"app-read\"], \"token_ttl\": 120, \"secret_id_num_uses\": 3}");
        var roleId = (await MustAsync(admin, HttpMethod.Get, "/v1/auth/approle/role/steady/role-id"))!["data"]!["role_id"]!.GetValue<string>();
        var tokensBefore = await TokenCountAsync();
        var cases = new (HttpMethod Method, string Path, string Body, HttpStatusCode Status, string Error)[]
        {
            (HttpMethod.Post, "/v1/auth/approle/role/steady", "{\"token_ttl\": \"soon\"}", HttpStatusCode.BadRequest, "must be durations"),
            (HttpMethod.Post, "/v1/auth/approle/role/steady", "{\"secret_id_num_uses\": -1}", HttpStatusCode.BadRequest, "secret_id_num_uses"),
            (HttpMethod.Post, "/v1/auth/approle/role/steady", "{\"bind_secret_id\": false}", HttpStatusCode.BadRequest, "bind_secret_id must be true"),
            (HttpMethod.Post, "/v1/auth/approle/role/steady", "{\"token_policies\": [1]}", HttpStatusCode.BadRequest, "token_policies"),
            (HttpMethod.Post, "/v1/auth/approle/role/steady", "{\"token_ttl\": 100, \"token_max_ttl\": 10}", HttpStatusCode.BadRequest, "token_ttl must not be greater"),
            (HttpMethod.Post, "/v1/auth/approle/role/bad%20name", "{}", HttpStatusCode.BadRequest, "role name"),
            (HttpMethod.Post, "/v1/auth/approle/role/steady", "[1]", HttpStatusCode.BadRequest, "failed to parse JSON input"),
            (HttpMethod.Post, "/v1/auth/approle/role/missing/secret-id", "{}", HttpStatusCode.BadRequest, "does not exist"),
            (HttpMethod.Post, "/v1/auth/approle/login", "{\"secret_id\": \"x\"}", HttpStatusCode.BadRequest, "missing role_id"),
            (HttpMethod.Post, "/v1/auth/approle/login", $"{{\"role_id\": \"{roleId}\", \"secret_id\": \"wrong\"}}", HttpStatusCode.BadRequest, "invalid role or secret ID"),
            (HttpMethod.Post, "/v1/auth/approle/login", $"{{\"role_id\": \"{roleId}\"}}", HttpStatusCode.BadRequest, "invalid role or secret ID"),
            (HttpMethod.Post, "/v1/auth/approle/login", "{\"role_id\": \"nope\", \"secret_id\": \"wrong\"}", HttpStatusCode.BadRequest, "invalid role or secret ID"),
            (HttpMethod.Post, "/v1/auth/approle/login", "{\"role_id\": 7}", HttpStatusCode.BadRequest, "must be strings"),
        };
        foreach (var (method, path, body, expected, error) in cases)
        {
            var (status, answer) = await admin.SendAsync(method, path, body);
            Assert.True(status == expected, $"{method} {path} {body}: {(int)status}");
            Assert.Contains(error, answer!["errors"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        }

        var role = await MustAsync(admin, HttpMethod.Get, "/v1/auth/approle/role/steady");
        Assert.Equal(120, role!["data"]!["token_ttl"]!.GetValue<long>());
        Assert.Equal(3, role["data"]!["secret_id_num_uses"]!.GetValue<long>());
        Assert.True(role["data"]!["bind_secret_id"]!.GetValue<bool>());
        Assert.Equal(roleId, (await MustAsync(admin, HttpMethod.Get, "/v1/auth/approle/role/steady/role-id"))!["data"]!["role_id"]!.GetValue<string>());
        Assert.Equal(tokensBefore, await TokenCountAsync());

        // Without admin: 401/403 in Vault's shape; deleting a role removes its secret ids with it.
        using var anonymous = new HttpClient { BaseAddress = new Uri(Cluster[1].HttpUrl) };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(HttpMethod.Post, "/v1/auth/approle/role/steady/secret-id", "{}")).Status);
        var secretId = (await MustAsync(admin, HttpMethod.Post, "/v1/auth/approle/role/steady/secret-id"))!["data"]!["secret_id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.NoContent, (await admin.SendAsync(HttpMethod.Delete, "/v1/auth/approle/role/steady")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.SendAsync(HttpMethod.Get, "/v1/auth/approle/role/steady")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await LoginAsync(Cluster[0], roleId, secretId)).Status);
    }

    private static HttpClient Vault(NodeProcess node, string token)
    {
        var client = new HttpClient { BaseAddress = new Uri(node.HttpUrl), Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("X-Vault-Token", token);
        return client;
    }

    private static async Task<JsonNode?> MustAsync(HttpClient client, HttpMethod method, string path, string? body = null)
    {
        var (status, answer) = await client.SendAsync(method, path, body ?? (method == HttpMethod.Get || method.Method == "LIST" ? null : "{}"));
        Assert.True((int)status is 200 or 204, $"{method} {path}: {(int)status} {answer?["errors"]?.ToJsonString()}");
        return answer;
    }

    private static async Task<(HttpStatusCode Status, JsonNode? Body)> LoginAsync(NodeProcess node, string roleId, string secretId)
    {
        using var anonymous = new HttpClient { BaseAddress = new Uri(node.HttpUrl), Timeout = TimeSpan.FromSeconds(30) };
        return await anonymous.SendAsync(HttpMethod.Post, "/v1/auth/approle/login", new JsonObject { ["role_id"] = roleId, ["secret_id"] = secretId }.ToJsonString());
    }

    private static async Task<(HttpStatusCode Status, JsonNode? Body)> JwtLoginAsync(NodeProcess node, string role, string jwt)
    {
        using var anonymous = new HttpClient { BaseAddress = new Uri(node.HttpUrl), Timeout = TimeSpan.FromSeconds(30) };
        return await anonymous.SendAsync(HttpMethod.Post, "/v1/auth/jwt/login", new JsonObject { ["role"] = role, ["jwt"] = jwt }.ToJsonString());
    }

    private async Task<int> TokenCountAsync()
    {
        await Cluster.WaitForConvergenceAsync(Timeout);
        var (_, body) = await Cluster[0].Http.GetJsonAsync("/acl/tokens");
        return body!["tokens"]!.AsArray().Count;
    }

    private static System.Security.Cryptography.RSA RSA() => System.Security.Cryptography.RSA.Create(2048);

    private static string SignWith(System.Security.Cryptography.RSA key, JsonObject claims)
    {
        var header = TestJwt.Base64Url(Encoding.UTF8.GetBytes("{\"alg\":\"RS256\",\"typ\":\"JWT\"}"));
        var payload = TestJwt.Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = key.SignData(Encoding.ASCII.GetBytes(header + "." + payload), System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        return header + "." + payload + "." + TestJwt.Base64Url(signature);
    }

    // Same signature, claims changed (another subject): the signature no longer matches.
    private static string Tamper(string jwt)
    {
        var parts = jwt.Split('.');
        var claims = JsonNode.Parse(Convert.FromBase64String(Pad(parts[1].Replace('-', '+').Replace('_', '/'))))!.AsObject();
        claims["sub"] = "system:serviceaccount:kube-system:admin";
        return parts[0] + "." + TestJwt.Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString())) + "." + parts[2];
    }

    private static string Pad(string text) => text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '=');

    private static async Task<bool> DiskHoldsAsync(string directory, string needle)
        => await DataFiles.FirstHoldingAsync(directory, Encoding.UTF8.GetBytes(needle)) is not null;
}
