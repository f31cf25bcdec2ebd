using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests.Faces;

/// <summary>
/// A throwaway PostgreSQL (with a table <c>items</c> holding one row) and a 3-node cluster with a
/// master key, shared by the database engine tests. Nothing starts where PostgreSQL is not
/// installed (the tests are skipped there).
/// </summary>
public sealed class DatabaseCluster : IAsyncLifetime
{
    /// <summary>The engine's connection name.</summary>
    public const string Connection = "pg";

    internal TestCluster Cluster { get; private set; } = null!;

    internal PostgresServer Postgres { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (PostgresServer.FindBinaries() is null)
            return;
        Postgres = await PostgresServer.StartAsync();
        await Postgres.AdminAsync("CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items VALUES (1, 'one');");
        Cluster = await TestCluster.StartAsync(environment: new Dictionary<string, string> { ["CONFIGCLUSTER_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) });
        await Cluster.WaitForAccessAsync();
        var (status, body) = await Cluster[0].Http.SendAsync(HttpMethod.Post, $"/v1/database/config/{Connection}", new JsonObject
        {
            ["plugin_name"] = "postgresql-database-plugin",
            ["connection_url"] = Postgres.ConnectionUrl,
            ["username"] = PostgresServer.AdminUser,
            ["password"] = Postgres.AdminPassword,
            ["allowed_roles"] = "*",
        }.ToJsonString());
        if (status != HttpStatusCode.NoContent)
            throw new InvalidOperationException($"configuring the database connection answered {(int)status}: {body?.ToJsonString()}");
    }

    /// <summary>Creates (or replaces) a role that can read the items table.</summary>
    internal async Task CreateRoleAsync(string role, string defaultTtl, string maxTtl, string[]? revocation = null)
    {
        var (status, body) = await Cluster[0].Http.SendAsync(HttpMethod.Post, $"/v1/database/roles/{role}", new JsonObject
        {
            ["db_name"] = Connection,
            ["creation_statements"] = new JsonArray("CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';", "GRANT SELECT ON ALL TABLES IN SCHEMA public TO \"{{name}}\";"),
            ["revocation_statements"] = new JsonArray([.. (revocation ?? ["REVOKE ALL ON ALL TABLES IN SCHEMA public FROM \"{{name}}\";", "DROP ROLE IF EXISTS \"{{name}}\";"]).Select(static s => (JsonNode)s)]),
            ["default_ttl"] = defaultTtl,
            ["max_ttl"] = maxTtl,
        }.ToJsonString());
        Assert.True(status == HttpStatusCode.NoContent, $"role {role}: {(int)status} {body?.ToJsonString()}");
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
            await Cluster.DisposeAsync();
        if (Postgres is not null)
            await Postgres.DisposeAsync();
    }
}
