using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests.Acl;

/// <summary>
/// One 3-node cluster (with a master key, so secrets work) shared by the route-matrix and
/// hostile-input tests, and the tokens they reuse: an unknown one and a working one that grants
/// nothing any route needs. The tests only read, or send requests that must be refused.
/// </summary>
public sealed class AccessCluster : IAsyncLifetime
{
    /// <summary>A token no node knows.</summary>
    public const string UnknownToken = "cc_unknown_token_0123456789abcdef0123";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    internal TestCluster Cluster { get; private set; } = null!;

    /// <summary>A working token whose only rule reads keys in a namespace no route uses.</summary>
    public string PowerlessToken { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Cluster = await TestCluster.StartAsync(environment: new Dictionary<string, string> { ["CONFIGCLUSTER_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) });
        var admin = Cluster[0].Http;
        var (policy, _) = await admin.SendAsync(HttpMethod.Put, "/acl/policies/powerless",
            "{\"rules\": [{\"path\": \"elsewhere.*\", \"namespace\": \"elsewhere\", \"environment\": \"elsewhere\", \"capabilities\": [\"read\"]}]}");
        Assert.Equal(HttpStatusCode.OK, policy);
        var (status, created) = await admin.SendAsync(HttpMethod.Post, "/acl/tokens", "{\"name\": \"powerless\", \"policies\": [\"powerless\"], \"ttl\": \"1h\"}");
        Assert.Equal(HttpStatusCode.OK, status);
        PowerlessToken = created!["token"]!.GetValue<string>();
        foreach (var node in Cluster.Nodes)
        {
            using var client = Client(node, PowerlessToken);
            await Eventually.WaitAsync(async () => (await client.GetJsonAsync("/config?limit=1&consistency=serializable")).Status == HttpStatusCode.Forbidden, Timeout, $"the powerless token to reach {node.NodeId}");
        }
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>An HTTP client for <paramref name="node"/> sending <paramref name="token"/> (none when null).</summary>
    internal static HttpClient Client(NodeProcess node, string? token)
    {
        var client = new HttpClient { BaseAddress = new Uri(node.HttpUrl), Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}

/// <summary>The tests that share <see cref="AccessCluster"/>.</summary>
[CollectionDefinition(Name)]
public sealed class AccessClusterCollection : ICollectionFixture<AccessCluster>
{
    public const string Name = "access cluster";
}
