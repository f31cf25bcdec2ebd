using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using ConfigCluster.Client;
using ConfigCluster.Server.Tests.Demo;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests.Auth;

/// <summary>One 3-node cluster for the SDK's machine-login tests, with a read-write policy on <c>sdk.*</c>.</summary>
public sealed class SdkLoginCluster : IAsyncLifetime
{
    internal TestCluster Cluster { get; private set; } = null!;

    internal TestJwt Keys { get; } = new();

    public async Task InitializeAsync()
    {
        Cluster = await TestCluster.StartAsync();
        var (status, _) = await Cluster[0].Http.SendAsync(HttpMethod.Put, "/acl/policies/sdk-rw",
            "{\"rules\": [{\"path\": \"sdk.*\", \"namespace\": \"*\", \"environment\": \"*\", \"capabilities\": [\"read\", \"write\", \"list\"]}]}");
        Assert.Equal(HttpStatusCode.OK, status);
    }

    public async Task DisposeAsync()
    {
        Keys.Dispose();
        await Cluster.DisposeAsync();
    }
}

/// <summary>
/// The .NET SDK logs in by itself (AppRole with a secret-id file, or a JWT file re-read at each
/// login), renews before expiry and logs in again at the max TTL, through a leader kill.
/// </summary>
public sealed class SdkMachineLoginTests(SdkLoginCluster fixture) : IClassFixture<SdkLoginCluster>, IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly string directory = Directory.CreateTempSubdirectory("cc-sdk-login-").FullName;

    private TestCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task AppRoleLogin_RenewsAndLogsInAgain_AcrossALeaderKill_WithoutErrors()
    {
        var admin = Cluster.Nodes.First(static n => n.IsRunning).Http;
        await MustAsync(admin, "/v1/auth/approle/role/sdk", "{\"token_policies\": [\"sdk-rw\"], \"token_ttl\": \"3s\", \"token_max_ttl\": \"7s\"}");
        var (_, roleId) = await admin.SendAsync(HttpMethod.Get, "/v1/auth/approle/role/sdk/role-id");
        var secret = await MustAsync(admin, "/v1/auth/approle/role/sdk/secret-id", "{}");
        var secretFile = Path.Combine(directory, "secret-id");
        await File.WriteAllTextAsync(secretFile, secret!["data"]!["secret_id"]!.GetValue<string>() + "\n");

        var options = Options();
        options.AppRoleLogin = new AppRoleLoginOptions { RoleId = roleId!["data"]!["role_id"]!.GetValue<string>(), SecretIdFile = secretFile };
        using var client = new ConfigClusterClient(options);
        var clock = Stopwatch.StartNew();
        var killed = false;
        Task? restart = null;
        var writes = 0;
        var writesAfterKill = 0;
        // Writes and reads until the token has been renewed and replaced by new logins, the leader
        // killed on the way; every write must succeed and read back (no throughput floor: on a
        // loaded machine a failover takes seconds).
        try
        {
            while (!(killed && client.LoginStatus is { Logins: >= 3, Renewals: >= 1 } && writesAfterKill > 0))
            {
                Assert.True(clock.Elapsed < Timeout, $"after {clock.Elapsed.TotalSeconds:0} s: {client.LoginStatus}");
                writes++;
                var value = writes.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await client.PutAsync("sdk.counter", value);
                Assert.Equal(value, (await client.GetAsync("sdk.counter")).ValueJson);
                if (killed)
                    writesAfterKill++;
                if (!killed && clock.Elapsed > TimeSpan.FromSeconds(4))
                {
                    var leader = await Cluster.WaitForLeaderAsync(Timeout);
                    await Cluster.KillNodeAsync(leader);
                    killed = true;
                    restart = Cluster.StartNodeAsync(leader);
                }
            }
        }
        finally
        {
            // The other tests of the class share the cluster: bring it back whole, pass or fail.
            if (restart is not null)
            {
                await restart;
                await Cluster.WaitForAccessAsync();
            }
        }
    }

    [Fact]
    public async Task JwtLogin_ReadsTheTokenFileAtEachLogin()
    {
        var admin = Cluster.Nodes.First(static n => n.IsRunning).Http;
        await MustAsync(admin, "/v1/auth/jwt/config", new JsonObject { ["jwt_validation_pubkeys"] = new JsonArray(fixture.Keys.RsaPem), ["bound_issuer"] = TestJwt.Issuer }.ToJsonString());
        await MustAsync(admin, "/v1/auth/jwt/role/sdk-pods", "{\"bound_audiences\": [\"configcluster\"], \"bound_claims\": {\"kubernetes.io/namespace\": \"shop\"}, \"token_policies\": [\"sdk-rw\"], \"token_ttl\": \"2s\", \"token_max_ttl\": \"3s\"}");
        var tokenFile = Path.Combine(directory, "token");
        await File.WriteAllTextAsync(tokenFile, fixture.Keys.SignRs256(TestJwt.ServiceAccount("shop", "web-1", TimeSpan.FromMinutes(10))));

        var options = Options();
        options.JwtLogin = new JwtLoginOptions { Role = "sdk-pods", TokenFile = tokenFile };
        using var client = new ConfigClusterClient(options);
        await client.PutAsync("sdk.pod", "\"one\"");
        // Usually one login; two when the fresh token reached a node (just restarted by the test
        // before) that had not applied it yet and the SDK logged in again.
        var firstLogins = client.LoginStatus!.Logins;
        Assert.InRange(firstLogins, 1, 2);

        // Kubernetes rotates the projected token: the next login (at the 3 s max TTL) reads the new one.
        await File.WriteAllTextAsync(tokenFile, fixture.Keys.SignRs256(TestJwt.ServiceAccount("shop", "web-2", TimeSpan.FromMinutes(10))));
        await Eventually.WaitAsync(async () =>
        {
            await client.GetAsync("sdk.pod");
            return client.LoginStatus!.Logins > firstLogins;
        }, Timeout, "a login after the token file changed");
        Assert.Equal("\"one\"", (await client.GetAsync("sdk.pod")).ValueJson);
        var (_, tokens) = await admin.GetJsonAsync("/acl/tokens");
        Assert.Contains(tokens!["tokens"]!.AsArray(), static t => t!["name"]!.GetValue<string>() == "jwt-system:serviceaccount:shop:web-2");
    }

    [Fact]
    public async Task DemoService_LogsInWithAppRoleFiles_AsInTheComposeFile()
    {
        var admin = Cluster.Nodes.First(static n => n.IsRunning).Http;
        Assert.Equal(HttpStatusCode.OK, (await admin.SendAsync(HttpMethod.Put, "/acl/policies/demo-read",
            "{\"rules\": [{\"path\": \"demo.*\", \"namespace\": \"*\", \"environment\": \"*\", \"capabilities\": [\"read\", \"list\", \"watch\"]}]}")).Status);
        await admin.MustPutAsync("demo.greeting", "hello from approle");
        await admin.MustPutAsync("demo.maxItems", 7);
        await MustAsync(admin, "/v1/auth/approle/role/demo", "{\"token_policies\": [\"demo-read\"], \"token_ttl\": \"1h\", \"token_max_ttl\": \"24h\"}");
        var (_, roleId) = await admin.SendAsync(HttpMethod.Get, "/v1/auth/approle/role/demo/role-id");
        var secret = await MustAsync(admin, "/v1/auth/approle/role/demo/secret-id", "{}");
        await File.WriteAllTextAsync(Path.Combine(directory, "role-id"), roleId!["data"]!["role_id"]!.GetValue<string>());
        await File.WriteAllTextAsync(Path.Combine(directory, "secret-id"), secret!["data"]!["secret_id"]!.GetValue<string>());

        await using var demo = new DemoServiceProcess(Cluster, Path.Combine(directory, "cache.json"), new Dictionary<string, string>
        {
            ["ConfigCluster__AppRoleLogin__RoleIdFile"] = Path.Combine(directory, "role-id"),
            ["ConfigCluster__AppRoleLogin__SecretIdFile"] = Path.Combine(directory, "secret-id"),
        });
        await demo.StartAsync(Timeout);
        var settings = await demo.SettingsAsync();
        Assert.True(settings["source"]!.GetValue<string>() == "cluster", demo.Log);
        Assert.Equal("hello from approle", settings["greeting"]!.GetValue<string>());
        var (_, tokens) = await admin.GetJsonAsync("/acl/tokens");
        Assert.Contains(tokens!["tokens"]!.AsArray(), static t => t!["name"]!.GetValue<string>() == "approle-demo");
    }

    [Fact]
    public void Options_WithTwoWaysToAuthenticate_AreRefused()
    {
        var options = Options();
        options.Token = "x";
        options.JwtLogin = new JwtLoginOptions { Role = "r" };
        Assert.Throws<ArgumentException>(() => new ConfigClusterClient(options));
        var approle = Options();
        approle.AppRoleLogin = new AppRoleLoginOptions { RoleId = "r", SecretId = "a", SecretIdFile = "b" };
        Assert.Throws<ArgumentException>(() => new ConfigClusterClient(approle));
    }

    private ConfigClusterClientOptions Options()
    {
        var options = new ConfigClusterClientOptions();
        foreach (var node in Cluster.Nodes)
            options.Endpoints.Add(new Uri(node.GrpcUrl));
        return options;
    }

    private static async Task<JsonNode?> MustAsync(HttpClient admin, string path, string body)
    {
        var (status, answer) = await admin.SendAsync(HttpMethod.Post, path, body);
        Assert.True((int)status is 200 or 204, $"{path}: {(int)status} {answer?["errors"]?.ToJsonString()}");
        return answer;
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
