using System.Security.Cryptography;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests.Faces;

/// <summary>
/// One 3-node cluster with a master key (KV v2 secrets are sealed) shared by the Vault face tests,
/// run against the npm clients of tests/clients/faces.
/// </summary>
public sealed class VaultCluster : IAsyncLifetime
{
    internal TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await TestCluster.StartAsync(arguments: ["--snapshot-interval", "50"],
            environment: new Dictionary<string, string> { ["CONFIGCLUSTER_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) });
        await Cluster.WaitForAccessAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>The tests that share <see cref="VaultCluster"/>.</summary>
[CollectionDefinition(Name)]
public sealed class VaultClusterCollection : ICollectionFixture<VaultCluster>
{
    public const string Name = "vault cluster";
}
