using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ConfigCluster.Server.Tests.Harness;
using Xunit.Abstractions;

namespace ConfigCluster.Server.Tests.Faces;

/// <summary>
/// Static roles and root credential rotation of the database engine against a real PostgreSQL: a
/// static role's password is set at creation, rotates on schedule (also after the leader is
/// killed) and on demand, and each old password stops working; rotate-root gives the admin a new
/// password the engine keeps using while the old one stops working; bad input changes nothing;
/// no password reaches a node's log or data files.
/// </summary>
public sealed class DatabaseStaticRoleTests(DatabaseCluster fixture, ITestOutputHelper output) : IClassFixture<DatabaseCluster>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private TestCluster Cluster => fixture.Cluster;

    private PostgresServer Postgres => fixture.Postgres;

    [PostgresFact]
    public async Task StaticRole_RotatesOnScheduleAndOnDemand_AcrossLeaderKill_OldPasswordStopsWorking()
    {
        var initial = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
        await Postgres.AdminAsync($"CREATE ROLE app_static LOGIN PASSWORD '{initial}'; GRANT SELECT ON items TO app_static;");
        var follower = Cluster[await Cluster.FollowerAsync()];
        var (status, body) = await follower.Http.SendAsync(HttpMethod.Post, "/v1/database/static-roles/app", new JsonObject
        {
            ["db_name"] = DatabaseCluster.Connection, ["username"] = "app_static", ["rotation_period"] = "4s",
        }.ToJsonString());
        Assert.True(status == HttpStatusCode.NoContent, $"static role: {(int)status} {body?.ToJsonString()}");

        // Created: the engine set a password of its own at once; the initial one no longer works.
        var first = await StaticCredsAsync(follower, "app");
        Assert.Equal("app_static", first.Username);
        Assert.Equal(4, first.RotationPeriod);
        Assert.InRange(first.Ttl, 0, 4);
        Assert.False((await Postgres.TryAsUserAsync("app_static", initial)).Ok, "the password from before the static role still works");
        var login = await Postgres.TryAsUserAsync("app_static", first.Password, "SELECT name FROM items WHERE id = 1");
        Assert.True(login.Ok, $"the static role's password does not log in: {login.Error}");
        var (roleStatus, role) = await Cluster[0].Http.GetJsonAsync("/v1/database/static-roles/app");
        Assert.Equal(HttpStatusCode.OK, roleStatus);
        Assert.Equal("app_static", role!["data"]!["username"]!.GetValue<string>());
        Assert.Equal(4, role["data"]!["rotation_period"]!.GetValue<long>());

        // On schedule: a new password within the period (plus the leader's tick), the old one refused.
        var passwords = new List<string> { first.Password };
        var second = await NextPasswordAsync(follower, first, TimeSpan.FromSeconds(20));
        passwords.Add(second.Password);
        Assert.True(DateTimeOffset.Parse(second.LastRotation, System.Globalization.CultureInfo.InvariantCulture) > DateTimeOffset.Parse(first.LastRotation, System.Globalization.CultureInfo.InvariantCulture));
        Assert.False((await Postgres.TryAsUserAsync("app_static", first.Password)).Ok, "the rotated-away password still works");
        Assert.True((await Postgres.TryAsUserAsync("app_static", second.Password)).Ok, "the new password does not log in");

        // On demand, through any node.
        (status, body) = await Cluster[2].Http.SendAsync(HttpMethod.Post, "/v1/database/rotate-role/app");
        Assert.True(status == HttpStatusCode.NoContent, $"rotate-role: {(int)status} {body?.ToJsonString()}");
        var third = await StaticCredsAsync(Cluster[1], "app");
        Assert.NotEqual(second.Password, third.Password);
        passwords.Add(third.Password);
        Assert.False((await Postgres.TryAsUserAsync("app_static", second.Password)).Ok, "the password before rotate-role still works");
        Assert.True((await Postgres.TryAsUserAsync("app_static", third.Password)).Ok);

        // The leader is killed: the new one keeps the schedule.
        var leaderIndex = await Cluster.WaitForLeaderAsync(Timeout);
        await Cluster.KillNodeAsync(leaderIndex);
        try
        {
            var newLeader = await Cluster.WaitForLeaderAsync(Timeout);
            var survivor = Cluster[newLeader];
            await Eventually.WaitAsync(async () => (await survivor.Http.GetJsonAsync("/v1/database/static-creds/app")).Status == HttpStatusCode.OK, Timeout, "static-creds after the failover");
            var current = await StaticCredsAsync(survivor, "app");
            var after = await NextPasswordAsync(survivor, current, TimeSpan.FromSeconds(30));
            passwords.Add(current.Password);
            passwords.Add(after.Password);
            Assert.False((await Postgres.TryAsUserAsync("app_static", current.Password)).Ok, "after the failover the old password still works");
            Assert.True((await Postgres.TryAsUserAsync("app_static", after.Password)).Ok, "after the failover the new password does not log in");
            output.WriteLine($"static role: {passwords.Distinct().Count()} distinct passwords seen, last rotation {after.LastRotation}");
        }
        finally
        {
            await Cluster.StartNodeAsync(leaderIndex);
            await Cluster.WaitForLeaderAsync(Timeout);
        }

        // Every node agrees, and no password is in a node's log or data files (sealed in the log, WAL, snapshots).
        await Cluster.WaitForConvergenceAsync(Timeout);
        passwords.Add((await StaticCredsAsync(Cluster[leaderIndex], "app")).Password);
        AssertNowhere(passwords);

        (status, _) = await Cluster[0].Http.SendAsync(HttpMethod.Delete, "/v1/database/static-roles/app");
        Assert.Equal(HttpStatusCode.NoContent, status);
        Assert.Equal(HttpStatusCode.BadRequest, (await Cluster[1].Http.GetJsonAsync("/v1/database/static-creds/app")).Status);
    }

    [PostgresFact]
    public async Task RotateRoot_SetsNewAdminPassword_OldStopsWorking_EngineKeepsIssuing()
    {
        var initial = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
        await Postgres.AdminAsync($"CREATE ROLE rootadmin LOGIN CREATEROLE PASSWORD '{initial}'; GRANT SELECT ON items TO rootadmin WITH GRANT OPTION;");
        var follower = Cluster[await Cluster.FollowerAsync()];
        var (status, body) = await follower.Http.SendAsync(HttpMethod.Post, "/v1/database/config/pgroot", new JsonObject
        {
            ["plugin_name"] = "postgresql-database-plugin", ["connection_url"] = Postgres.ConnectionUrl,
            ["username"] = "rootadmin", ["password"] = initial, ["allowed_roles"] = "rootreader",
        }.ToJsonString());
        Assert.True(status == HttpStatusCode.NoContent, $"config: {(int)status} {body?.ToJsonString()}");
        (status, body) = await follower.Http.SendAsync(HttpMethod.Post, "/v1/database/roles/rootreader", new JsonObject
        {
            ["db_name"] = "pgroot", ["default_ttl"] = "1h",
            ["creation_statements"] = new JsonArray("CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';", "GRANT SELECT ON items TO \"{{name}}\";"),
        }.ToJsonString());
        Assert.True(status == HttpStatusCode.NoContent, $"role: {(int)status} {body?.ToJsonString()}");

        (status, body) = await follower.Http.SendAsync(HttpMethod.Post, "/v1/database/rotate-root/pgroot");
        Assert.True(status == HttpStatusCode.NoContent, $"rotate-root: {(int)status} {body?.ToJsonString()}");
        var refused = await Postgres.TryAsUserAsync("rootadmin", initial);
        Assert.False(refused.Ok, "the admin's old password still works after rotate-root");
        Assert.Equal("28P01", refused.Error);

        // The engine uses the new password (which nobody was shown) on every node: issuing works.
        foreach (var node in Cluster.Nodes)
            await AssertIssuesAsync(node, "rootreader");

        // A second rotation (through the leader this time) works from the stored, sealed password.
        var leader = Cluster[await Cluster.WaitForLeaderAsync(Timeout)];
        (status, body) = await leader.Http.SendAsync(HttpMethod.Post, "/v1/database/rotate-root/pgroot");
        Assert.True(status == HttpStatusCode.NoContent, $"second rotate-root: {(int)status} {body?.ToJsonString()}");
        await AssertIssuesAsync(follower, "rootreader");
        var (configStatus, config) = await follower.Http.GetJsonAsync("/v1/database/config/pgroot");
        Assert.Equal(HttpStatusCode.OK, configStatus);
        Assert.DoesNotContain("password\"", config!["data"]!["connection_details"]!.ToJsonString(), StringComparison.Ordinal);
        AssertNowhere([initial]);

        Assert.Equal(HttpStatusCode.NotFound, (await follower.Http.SendAsync(HttpMethod.Post, "/v1/database/rotate-root/nosuchconnection")).Status);
    }

    [PostgresFact]
    public async Task StaticRole_BadInput_Is400_AndChangesNothing()
    {
        var node = Cluster[1];
        var cases = new[]
        {
            new JsonObject { ["db_name"] = DatabaseCluster.Connection, ["rotation_period"] = "1h" },
            new JsonObject { ["db_name"] = DatabaseCluster.Connection, ["username"] = "x\"y", ["rotation_period"] = "1h" },
            new JsonObject { ["db_name"] = DatabaseCluster.Connection, ["username"] = "someone" },
            new JsonObject { ["db_name"] = DatabaseCluster.Connection, ["username"] = "someone", ["rotation_period"] = "soon" },
            new JsonObject { ["db_name"] = DatabaseCluster.Connection, ["username"] = "someone", ["rotation_period"] = 0 },
            new JsonObject { ["db_name"] = "nosuchdb", ["username"] = "someone", ["rotation_period"] = "1h" },
            new JsonObject { ["username"] = "someone", ["rotation_period"] = "1h" },
            new JsonObject { ["db_name"] = DatabaseCluster.Connection, ["username"] = "someone", ["rotation_period"] = "1h", ["rotation_statements"] = new JsonArray(1) },
        };
        foreach (var json in cases)
        {
            var (status, body) = await node.Http.SendAsync(HttpMethod.Post, "/v1/database/static-roles/bad", json.ToJsonString());
            Assert.True(status == HttpStatusCode.BadRequest, $"{json.ToJsonString()}: {(int)status} {body?.ToJsonString()}");
            Assert.True(body?["errors"] is JsonArray { Count: > 0 }, $"not Vault's error shape: {body?.ToJsonString()}");
        }

        Assert.Equal(HttpStatusCode.NotFound, (await node.Http.GetJsonAsync("/v1/database/static-roles/bad")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await node.Http.GetJsonAsync("/v1/database/static-creds/bad")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await node.Http.SendAsync(HttpMethod.Post, "/v1/database/rotate-role/bad")).Status);
    }

    [PostgresFact]
    public async Task CcctlLease_ListRenewRevoke_AndLegacyRevokePath_WithExitCodes()
    {
        await fixture.CreateRoleAsync("clirole", "1h", "24h");
        var issued = new List<(string LeaseId, string Username, string Password)>();
        for (var i = 0; i < 3; i++)
        {
            var (status, body) = await Cluster[i].Http.GetJsonAsync("/v1/database/creds/clirole");
            Assert.True(status == HttpStatusCode.OK, $"creds: {(int)status} {body?.ToJsonString()}");
            issued.Add((body!["lease_id"]!.GetValue<string>(), body["data"]!["username"]!.GetValue<string>(), body["data"]!["password"]!.GetValue<string>()));
        }

        var list = await Ccctl.RunAsync(Cluster, "lease", "list", "database/creds/clirole/");
        Assert.True(list.Code == 0, $"lease list: {list.Code} {list.Err}");
        Assert.Equal(issued.Select(static c => c.LeaseId).Order(StringComparer.Ordinal), list.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal));
        var all = await Ccctl.RunAsync(Cluster, "lease", "list", "-o", "json");
        Assert.Equal(0, all.Code);
        Assert.All(issued, c => Assert.Contains(c.LeaseId, all.Out, StringComparison.Ordinal));

        var renew = await Ccctl.RunAsync(Cluster, "lease", "renew", issued[0].LeaseId, "--increment", "2h");
        Assert.True(renew.Code == 0, $"lease renew: {renew.Code} {renew.Err}");
        Assert.Contains("renewed", renew.Out, StringComparison.Ordinal);
        var (lookupStatus, lookup) = await Cluster[1].Http.SendAsync(HttpMethod.Put, "/v1/sys/leases/lookup", new JsonObject { ["lease_id"] = issued[0].LeaseId }.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, lookupStatus);
        Assert.InRange(lookup!["data"]!["ttl"]!.GetValue<long>(), 3600 + 1, 7200);

        var revoke = await Ccctl.RunAsync(Cluster, "lease", "revoke", issued[0].LeaseId);
        Assert.True(revoke.Code == 0, $"lease revoke: {revoke.Code} {revoke.Err}");
        Assert.False((await Postgres.TryAsUserAsync(issued[0].Username, issued[0].Password)).Ok, "the revoked lease's user still logs in");
        var unknown = await Ccctl.RunAsync(Cluster, "lease", "renew", "database/creds/clirole/nosuchlease");
        Assert.Equal(2, unknown.Code);
        Assert.Single(unknown.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(1, (await Ccctl.RunAsync(Cluster, "lease", "revoke")).Code);

        // Vault's older path, as some clients still send it.
        var (legacyStatus, legacyBody) = await Cluster[2].Http.SendAsync(HttpMethod.Put, "/v1/sys/revoke", new JsonObject { ["lease_id"] = issued[1].LeaseId }.ToJsonString());
        Assert.True(legacyStatus == HttpStatusCode.NoContent, $"/v1/sys/revoke: {(int)legacyStatus} {legacyBody?.ToJsonString()}");
        Assert.False(await Postgres.RoleExistsAsync(issued[1].Username));

        var prefix = await Ccctl.RunAsync(Cluster, "lease", "revoke", "--prefix", "database/creds/clirole/");
        Assert.True(prefix.Code == 0, $"lease revoke --prefix: {prefix.Code} {prefix.Err}");
        Assert.False(await Postgres.RoleExistsAsync(issued[2].Username));
        var empty = await Ccctl.RunAsync(Cluster, "lease", "list", "database/creds/clirole/");
        Assert.Equal(0, empty.Code);
        Assert.Equal("", empty.Out.Trim());
    }

    private async Task AssertIssuesAsync(NodeProcess node, string role)
    {
        var (status, body) = await node.Http.GetJsonAsync($"/v1/database/creds/{role}");
        Assert.True(status == HttpStatusCode.OK, $"{node.NodeId} creds: {(int)status} {body?.ToJsonString()}");
        var login = await Postgres.TryAsUserAsync(body!["data"]!["username"]!.GetValue<string>(), body["data"]!["password"]!.GetValue<string>(), "SELECT name FROM items WHERE id = 1");
        Assert.True(login.Ok, $"the credential issued by {node.NodeId} does not log in: {login.Error}");
    }

    private void AssertNowhere(IReadOnlyList<string> secrets)
    {
        foreach (var node in Cluster.Nodes)
        {
            foreach (var file in Directory.GetFiles(node.DataDirectory, "*", SearchOption.AllDirectories))
            {
                var bytes = File.ReadAllBytes(file);
                Assert.False(secrets.Any(s => bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(s)) >= 0), $"a password was found in {file}");
            }

            Assert.False(secrets.Any(s => node.Log.Contains(s, StringComparison.Ordinal)), $"a password was found in the log of {node.NodeId}");
        }
    }

    private static async Task<StaticCreds> NextPasswordAsync(NodeProcess node, StaticCreds previous, TimeSpan timeout)
    {
        StaticCreds? next = null;
        await Eventually.WaitAsync(async () =>
        {
            // A node may answer 503 for a moment while a new leader is elected.
            if ((await node.Http.GetJsonAsync("/v1/database/static-creds/app")).Status != HttpStatusCode.OK)
                return false;
            next = await StaticCredsAsync(node, "app");
            return next.Password != previous.Password;
        }, timeout, "the static role's password to rotate");
        return next!;
    }

    private sealed record StaticCreds(string Username, string Password, string LastRotation, long RotationPeriod, long Ttl);

    private static async Task<StaticCreds> StaticCredsAsync(NodeProcess node, string role)
    {
        var (status, body) = await node.Http.GetJsonAsync($"/v1/database/static-creds/{role}");
        Assert.True(status == HttpStatusCode.OK, $"{node.NodeId} static-creds: {(int)status} {body?.ToJsonString()}");
        var data = body!["data"]!;
        return new StaticCreds(data["username"]!.GetValue<string>(), data["password"]!.GetValue<string>(), data["last_vault_rotation"]!.GetValue<string>(),
            data["rotation_period"]!.GetValue<long>(), data["ttl"]!.GetValue<long>());
    }
}
