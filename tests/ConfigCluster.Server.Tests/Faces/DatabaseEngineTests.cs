using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ConfigCluster.Client;
using ConfigCluster.Server.Tests.Harness;
using Xunit.Abstractions;

namespace ConfigCluster.Server.Tests.Faces;

/// <summary>
/// The database secrets engine and its leases against a real PostgreSQL started by the test:
/// issued credentials log in and can do what the role grants, revoking (explicitly, by expiry, by a
/// new leader after the old one was killed) drops the user, renewals stop at max_ttl, failed
/// revocations are retried and counted, bad input changes nothing, and no password reaches a log,
/// a data file or the test's output.
/// </summary>
public sealed class DatabaseEngineTests(DatabaseCluster fixture, ITestOutputHelper output) : IClassFixture<DatabaseCluster>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private TestCluster Cluster => fixture.Cluster;

    private PostgresServer Postgres => fixture.Postgres;

    [PostgresFact]
    public async Task Creds_ThroughFollower_LogInWithGrantedRights_RevokeMakesLoginFail_NoPasswordInLogsOrFiles()
    {
        await fixture.CreateRoleAsync("reader", "1h", "24h");
        var follower = Cluster[await Cluster.FollowerAsync()];

        // The connection's admin password is never answered.
        var (configStatus, config) = await follower.Http.GetJsonAsync($"/v1/database/config/{DatabaseCluster.Connection}");
        Assert.Equal(HttpStatusCode.OK, configStatus);
        Assert.Equal(PostgresServer.AdminUser, config!["data"]!["connection_details"]!["username"]!.GetValue<string>());
        Assert.DoesNotContain(Postgres.AdminPassword, config.ToJsonString(), StringComparison.Ordinal);

        var credential = await IssueAsync(follower, "reader");
        Assert.StartsWith("database/creds/reader/", credential.LeaseId, StringComparison.Ordinal);
        Assert.Equal(3600, credential.Duration);
        var login = await Postgres.TryAsUserAsync(credential.Username, credential.Password, "SELECT name FROM items WHERE id = 1");
        Assert.True(login.Ok, $"the issued user could not read items: {login.Error}");
        Assert.Equal("one", login.Value);
        var write = await Postgres.TryAsUserAsync(credential.Username, credential.Password, "INSERT INTO items VALUES (2, 'two')");
        Assert.False(write.Ok, "the role grants SELECT only");
        Assert.Equal("42501", write.Error);

        // Issuance latency (lease through the log, user created), through a follower and on the leader: measured, printed.
        var issued = new List<Credential>();
        foreach (var (via, what) in new[] { (follower, "a follower"), (Cluster[await Cluster.WaitForLeaderAsync(Timeout)], "the leader") })
        {
            var timings = new List<double>();
            for (var i = 0; i < 40; i++)
            {
                var watch = Stopwatch.StartNew();
                issued.Add(await IssueAsync(via, "reader"));
                timings.Add(watch.Elapsed.TotalMilliseconds);
            }

            timings.Sort();
            output.WriteLine($"issuance through {what}, 40 sequential: p50 {timings[19]:0.0} ms, p90 {timings[35]:0.0} ms, p99 {timings[38]:0.0} ms, max {timings[^1]:0.0} ms");
        }

        // Concurrent issuance on every node (their GRANTs touch the same table: PostgreSQL's
        // "tuple concurrently updated" is retried, not answered).
        issued.AddRange(await Task.WhenAll(Enumerable.Range(0, 12).Select(i => IssueAsync(Cluster[i % 3], "reader"))));

        // Every node knows the lease.
        foreach (var node in Cluster.Nodes)
        {
            var (status, lookup) = await node.Http.SendAsync(HttpMethod.Put, "/v1/sys/leases/lookup", Lease(credential.LeaseId));
            Assert.True(status == HttpStatusCode.OK, $"{node.NodeId}: {(int)status} {lookup?.ToJsonString()}");
            Assert.Equal(credential.LeaseId, lookup!["data"]!["id"]!.GetValue<string>());
            Assert.InRange(lookup["data"]!["ttl"]!.GetValue<long>(), 3000, 3600);
        }

        var leader = Cluster[await Cluster.WaitForLeaderAsync(Timeout)];
        var (revokeStatus, revokeBody) = await leader.Http.SendAsync(HttpMethod.Put, "/v1/sys/leases/revoke", Lease(credential.LeaseId));
        Assert.True(revokeStatus == HttpStatusCode.NoContent, $"revoke: {(int)revokeStatus} {revokeBody?.ToJsonString()}");
        Assert.False((await Postgres.TryAsUserAsync(credential.Username, credential.Password)).Ok, "the revoked user still logs in");
        Assert.False(await Postgres.RoleExistsAsync(credential.Username));
        var (gone, _) = await follower.Http.SendAsync(HttpMethod.Put, "/v1/sys/leases/lookup", Lease(credential.LeaseId));
        Assert.Equal(HttpStatusCode.BadRequest, gone);

        // revoke-prefix drops the rest of the role's users.
        var (prefixStatus, prefixBody) = await follower.Http.SendAsync(HttpMethod.Put, "/v1/sys/leases/revoke-prefix/database/creds/reader/");
        Assert.True(prefixStatus == HttpStatusCode.NoContent, $"revoke-prefix: {(int)prefixStatus} {prefixBody?.ToJsonString()}");
        foreach (var other in issued)
            Assert.False(await Postgres.RoleExistsAsync(other.Username), "revoke-prefix left a user");

        // No password (issued or admin) in any node's log or data file (WAL, snapshots, FASTER, audit).
        await Cluster.WaitForConvergenceAsync(Timeout);
        var secrets = issued.Select(static c => c.Password).Append(credential.Password).Append(Postgres.AdminPassword).ToList();
        foreach (var node in Cluster.Nodes)
        {
            Assert.Contains(Directory.GetFiles(node.DataDirectory, "*", SearchOption.AllDirectories), static f => f.Contains("audit", StringComparison.OrdinalIgnoreCase));
            await foreach (var (file, bytes) in DataFiles.ReadAllAsync(node.DataDirectory))
            {
                Assert.False(secrets.Any(s => bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(s)) >= 0), $"a password was found in {file}");
            }

            Assert.False(secrets.Any(s => node.Log.Contains(s, StringComparison.Ordinal)), $"a password was found in the log of {node.NodeId}");
        }
    }

    [PostgresFact]
    public async Task ShortTtl_ExpiresAndDropsUser_RenewExtendsOnlyUpToMaxTtl()
    {
        await fixture.CreateRoleAsync("short", "3s", "6s");
        var node = Cluster[1];
        var expiring = await IssueAsync(node, "short");
        var renewed = await IssueAsync(node, "short");
        Assert.Equal(3, expiring.Duration);
        var expiresAt = await ExpiryAsync(node, expiring.LeaseId);

        var (status, body) = await node.Http.SendAsync(HttpMethod.Put, "/v1/sys/leases/renew", new JsonObject { ["lease_id"] = renewed.LeaseId, ["increment"] = 5 }.ToJsonString());
        Assert.True(status == HttpStatusCode.OK, $"renew: {(int)status} {body?.ToJsonString()}");
        Assert.Equal(renewed.LeaseId, body!["lease_id"]!.GetValue<string>());
        Assert.True(body["renewable"]!.GetValue<bool>());
        Assert.InRange(body["lease_duration"]!.GetValue<long>(), 4, 5);
        // Past max_ttl it stops at issue + 6 s.
        (status, body) = await node.Http.SendAsync(HttpMethod.Put, "/v1/sys/leases/renew", new JsonObject { ["lease_id"] = renewed.LeaseId, ["increment"] = "1h" }.ToJsonString());
        Assert.True(status == HttpStatusCode.OK, $"renew: {(int)status} {body?.ToJsonString()}");
        Assert.InRange(body!["lease_duration"]!.GetValue<long>(), 4, 6);
        var (lookupStatus, lookup) = await Cluster[2].Http.SendAsync(HttpMethod.Put, "/v1/sys/leases/lookup", Lease(renewed.LeaseId));
        Assert.Equal(HttpStatusCode.OK, lookupStatus);
        Assert.NotNull(lookup!["data"]!["last_renewal"]?.GetValue<string>());
        var maxExpiry = await ExpiryAsync(node, renewed.LeaseId);

        // The 3 s lease expires: the leader drops its user and removes it; the renewed one still logs in.
        Assert.True((await Postgres.TryAsUserAsync(expiring.Username, expiring.Password)).Ok);
        await Eventually.WaitAsync(async () => !await Postgres.RoleExistsAsync(expiring.Username), TimeSpan.FromSeconds(20), "the expired lease's user to be dropped");
        // Same machine, same clock: the log recorded the expiry the nodes judge by.
        var late = DateTimeOffset.UtcNow - expiresAt;
        Assert.True(late >= TimeSpan.Zero, $"dropped {-late.TotalSeconds:0.00} s before the lease's expiry");
        output.WriteLine($"3 s lease: user seen dropped {late.TotalSeconds:0.00} s after its expiry");
        Assert.True((await Postgres.TryAsUserAsync(renewed.Username, renewed.Password)).Ok, "the renewed lease's user was dropped with the expired one");
        await Eventually.WaitAsync(async () => (await node.Http.SendAsync(HttpMethod.Put, "/v1/sys/leases/lookup", Lease(expiring.LeaseId))).Status == HttpStatusCode.BadRequest,
            TimeSpan.FromSeconds(10), "the expired lease to be removed");
        (status, _) = await node.Http.SendAsync(HttpMethod.Put, "/v1/sys/leases/renew", Lease(expiring.LeaseId));
        Assert.Equal(HttpStatusCode.BadRequest, status);

        // The renewed one ends at its max_ttl.
        await Eventually.WaitAsync(async () => !await Postgres.RoleExistsAsync(renewed.Username), TimeSpan.FromSeconds(20), "the renewed lease's user to be dropped at max_ttl");
        Assert.True(DateTimeOffset.UtcNow >= maxExpiry, "the renewed lease's user was dropped before its max_ttl");
    }

    [PostgresFact]
    public async Task LeaseIdInThePath_RenewAndRevoke_AsVaultTakesThem()
    {
        await fixture.CreateRoleAsync("pathrole", "1h", "24h");
        var renewedThenRevoked = await IssueAsync(Cluster[0], "pathrole");
        var legacy = await IssueAsync(Cluster[1], "pathrole");
        var kept = await IssueAsync(Cluster[2], "pathrole");
        var follower = Cluster[await Cluster.FollowerAsync()];

        // renew/<lease_id> with only the increment in the body.
        var (status, body) = await follower.Http.SendAsync(HttpMethod.Put, $"/v1/sys/leases/renew/{renewedThenRevoked.LeaseId}", "{\"increment\": \"2h\"}");
        Assert.True(status == HttpStatusCode.OK, $"renew in the path: {(int)status} {body?.ToJsonString()}");
        Assert.Equal(renewedThenRevoked.LeaseId, body!["lease_id"]!.GetValue<string>());
        Assert.InRange(body["lease_duration"]!.GetValue<long>(), 3600 + 1, 7200);

        // revoke/<lease_id> without a body; the older sys/revoke/<lease_id> too.
        (status, body) = await follower.Http.SendAsync(HttpMethod.Put, $"/v1/sys/leases/revoke/{renewedThenRevoked.LeaseId}");
        Assert.True(status == HttpStatusCode.NoContent, $"revoke in the path: {(int)status} {body?.ToJsonString()}");
        Assert.False((await Postgres.TryAsUserAsync(renewedThenRevoked.Username, renewedThenRevoked.Password)).Ok, "the revoked lease's user still logs in");
        Assert.False(await Postgres.RoleExistsAsync(renewedThenRevoked.Username));
        (status, body) = await Cluster[0].Http.SendAsync(HttpMethod.Post, $"/v1/sys/revoke/{legacy.LeaseId}");
        Assert.True(status == HttpStatusCode.NoContent, $"sys/revoke in the path: {(int)status} {body?.ToJsonString()}");
        Assert.False(await Postgres.RoleExistsAsync(legacy.Username));

        // Renewing a gone lease is Vault's 400; revoking one is done already (204). The body's
        // lease_id wins over the path's, as in Vault: the path's lease stays.
        (status, body) = await follower.Http.SendAsync(HttpMethod.Put, $"/v1/sys/leases/renew/{renewedThenRevoked.LeaseId}");
        Assert.True(status == HttpStatusCode.BadRequest, $"renew of a revoked lease: {(int)status} {body?.ToJsonString()}");
        (status, body) = await follower.Http.SendAsync(HttpMethod.Put, $"/v1/sys/leases/revoke/{kept.LeaseId}", Lease("database/creds/pathrole/nosuchlease"));
        Assert.True(status == HttpStatusCode.NoContent, $"revoke with the body's unknown lease: {(int)status} {body?.ToJsonString()}");
        Assert.True((await Postgres.TryAsUserAsync(kept.Username, kept.Password)).Ok, "the path's lease was revoked although the body named another");
        (status, _) = await follower.Http.SendAsync(HttpMethod.Put, $"/v1/sys/leases/revoke/{kept.LeaseId}", "{\"lease_id\": 5}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(HttpStatusCode.OK, (await Cluster[0].Http.SendAsync(HttpMethod.Put, "/v1/sys/leases/lookup", Lease(kept.LeaseId))).Status);
    }

    [PostgresFact]
    public async Task GrpcLeases_ListLookupRenewRevoke_ThroughTheSdk_WithStatusCodes()
    {
        await fixture.CreateRoleAsync("grpcrole", "1h", "24h");
        var revoked = await IssueAsync(Cluster[0], "grpcrole");
        var kept = await IssueAsync(Cluster[1], "grpcrole");
        var options = new ConfigClusterClientOptions { Token = NodeProcess.AdminToken };
        foreach (var node in Cluster.Nodes)
            options.Endpoints.Add(new Uri(node.GrpcUrl));
        using var client = new ConfigClusterClient(options);

        Assert.Equal(new[] { revoked.LeaseId, kept.LeaseId }.Order(StringComparer.Ordinal), await client.ListLeasesAsync("database/creds/grpcrole/"));
        Assert.Contains(kept.LeaseId, await client.ListLeasesAsync());
        Assert.Empty(await client.ListLeasesAsync("database/creds/nosuchrole/"));

        var lease = await client.LookupLeaseAsync(revoked.LeaseId);
        Assert.Equal(revoked.LeaseId, lease.LeaseId);
        Assert.InRange(lease.TtlSeconds, 3000, 3600);
        Assert.Equal("", lease.LastRenewal);
        Assert.True(lease.Renewable);
        Assert.True(DateTimeOffset.Parse(lease.ExpireTime, System.Globalization.CultureInfo.InvariantCulture) > DateTimeOffset.Parse(lease.IssueTime, System.Globalization.CultureInfo.InvariantCulture));

        var renewed = await client.RenewLeaseAsync(revoked.LeaseId, TimeSpan.FromHours(2));
        Assert.InRange(renewed.TtlSeconds, 3600 + 1, 7200);
        Assert.NotEqual("", renewed.LastRenewal);
        // HTTP sees the same lease.
        Assert.True(await ExpiryAsync(Cluster[2], revoked.LeaseId) > DateTimeOffset.UtcNow.AddHours(1.5));

        await client.RevokeLeaseAsync(revoked.LeaseId);
        Assert.False((await Postgres.TryAsUserAsync(revoked.Username, revoked.Password)).Ok, "the lease revoked over gRPC still logs in");
        Assert.False(await Postgres.RoleExistsAsync(revoked.Username));
        Assert.Equal([kept.LeaseId], await client.ListLeasesAsync("database/creds/grpcrole/"));
        await client.RevokeLeaseAsync(revoked.LeaseId); // gone counts as revoked

        // NOT_FOUND for a lease that is not there, INVALID_ARGUMENT for bad input; nothing changes.
        var missing = await Assert.ThrowsAsync<ConfigNotFoundException>(() => client.LookupLeaseAsync(revoked.LeaseId));
        Assert.Equal(Grpc.Core.StatusCode.NotFound, missing.StatusCode);
        Assert.Equal(Grpc.Core.StatusCode.NotFound, (await Assert.ThrowsAsync<ConfigNotFoundException>(() => client.RenewLeaseAsync(revoked.LeaseId))).StatusCode);
        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, (await Assert.ThrowsAsync<ConfigValidationException>(() => client.LookupLeaseAsync(""))).StatusCode);
        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, (await Assert.ThrowsAsync<ConfigValidationException>(() => client.RevokeLeaseAsync(new string('x', 300)))).StatusCode);
        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, (await Assert.ThrowsAsync<ConfigValidationException>(() => client.RenewLeaseAsync(kept.LeaseId, TimeSpan.FromSeconds(-5)))).StatusCode);
        Assert.InRange((await client.LookupLeaseAsync(kept.LeaseId)).TtlSeconds, 3000, 3600);
        Assert.True((await Postgres.TryAsUserAsync(kept.Username, kept.Password)).Ok, "the other lease's user was touched");
    }

    [PostgresFact]
    public async Task LeaderKilled_WithLiveLeases_NewLeaderExpiresThem()
    {
        await fixture.CreateRoleAsync("failover", "4s", "1h");
        var leaderIndex = await Cluster.WaitForLeaderAsync(Timeout);
        var credentials = new List<Credential>();
        for (var i = 0; i < 3; i++)
            credentials.Add(await IssueAsync(Cluster[leaderIndex], "failover"));
        var expiries = new List<DateTimeOffset>();
        foreach (var credential in credentials)
            expiries.Add(await ExpiryAsync(Cluster[leaderIndex], credential.LeaseId));
        await Cluster.KillNodeAsync(leaderIndex);
        try
        {
            var newLeader = await Cluster.WaitForLeaderAsync(Timeout);
            Assert.NotEqual(leaderIndex, newLeader);
            // Elections take about a second here; while the leases are live their users stay.
            if (DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(300) < expiries.Min())
            {
                foreach (var credential in credentials)
                    Assert.True(await Postgres.RoleExistsAsync(credential.Username), "a user was dropped before its lease expired");
            }
            try
            {
                foreach (var credential in credentials)
                    await Eventually.WaitAsync(async () => !await Postgres.RoleExistsAsync(credential.Username), TimeSpan.FromSeconds(30), "the new leader to drop an expired lease's user");
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException($"{e.Message}\n{Cluster[newLeader].Log[^Math.Min(6000, Cluster[newLeader].Log.Length)..]}", e);
            }
            var late = DateTimeOffset.UtcNow - expiries.Max();
            Assert.True(late >= TimeSpan.Zero, "a user was dropped before its lease expired");
            output.WriteLine($"leader killed with 3 live 4 s leases: the new leader had dropped all of them {late.TotalSeconds:0.00} s after the last expiry");
            foreach (var credential in credentials)
            {
                await Eventually.WaitAsync(async () => (await Cluster[newLeader].Http.SendAsync(HttpMethod.Put, "/v1/sys/leases/lookup", Lease(credential.LeaseId))).Status == HttpStatusCode.BadRequest,
                    TimeSpan.FromSeconds(10), "the expired lease to be removed");
                Assert.False((await Postgres.TryAsUserAsync(credential.Username, credential.Password)).Ok);
            }
        }
        finally
        {
            await Cluster.StartNodeAsync(leaderIndex);
            await Cluster.WaitForLeaderAsync(Timeout);
        }
    }

    [PostgresFact]
    public async Task FailingRevocation_IsRetriedWithBackoffAndCounted_ThenSucceedsOnceFixed()
    {
        await fixture.CreateRoleAsync("broken", "1s", "1h", ["SELECT 1/0;"]);
        var credential = await IssueAsync(Cluster[0], "broken");
        var leader = Cluster[await Cluster.WaitForLeaderAsync(Timeout)];
        var before = await FailedRevocationsAsync(leader);
        await Eventually.WaitAsync(async () => await FailedRevocationsAsync(leader) >= before + 2, TimeSpan.FromSeconds(20), "two failed revocation attempts counted");
        Assert.True(await Postgres.RoleExistsAsync(credential.Username), "the user is gone although its revocation failed");
        var (status, lookup) = await leader.Http.SendAsync(HttpMethod.Put, "/v1/sys/leases/lookup", Lease(credential.LeaseId));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(lookup!["data"]!["renewable"]!.GetValue<bool>());

        // Fixed revocation statements apply to the leases issued before: the next retry succeeds.
        await fixture.CreateRoleAsync("broken", "1s", "1h");
        await Eventually.WaitAsync(async () => !await Postgres.RoleExistsAsync(credential.Username), TimeSpan.FromSeconds(45), "the retried revocation to drop the user");
        await Eventually.WaitAsync(async () => (await leader.Http.SendAsync(HttpMethod.Put, "/v1/sys/leases/lookup", Lease(credential.LeaseId))).Status == HttpStatusCode.BadRequest,
            TimeSpan.FromSeconds(10), "the lease to be removed");
    }

    [PostgresFact]
    public async Task BadInput_Is400InVaultsShape_AndChangesNothing()
    {
        var node = Cluster[2];
        var roles = await Postgres.AdminAsync("SELECT count(*) FROM pg_roles");
        var cases = new (string Path, string Method, string? Body)[]
        {
            ("/v1/database/config/bad", "POST", new JsonObject { ["plugin_name"] = "mysql-database-plugin", ["connection_url"] = Postgres.ConnectionUrl }.ToJsonString()),
            ("/v1/database/config/bad", "POST", new JsonObject { ["plugin_name"] = "postgresql-database-plugin" }.ToJsonString()),
            ("/v1/database/config/bad", "POST", new JsonObject { ["plugin_name"] = "postgresql-database-plugin", ["connection_url"] = "postgresql://x@127.0.0.1:1/db?bogus=1" }.ToJsonString()),
            ("/v1/database/config/bad", "POST", new JsonObject { ["plugin_name"] = "postgresql-database-plugin", ["connection_url"] = Postgres.ConnectionUrl, ["username"] = PostgresServer.AdminUser, ["password"] = "wrong" }.ToJsonString()),
            ("/v1/database/config/bad", "POST", "{not json"),
            ("/v1/database/config/bad", "POST", new JsonObject { ["plugin_name"] = "postgresql-database-plugin", ["connection_url"] = Postgres.ConnectionUrl, ["allowed_roles"] = 5 }.ToJsonString()),
            ("/v1/database/roles/bad", "POST", new JsonObject { ["creation_statements"] = "SELECT 1" }.ToJsonString()),
            ("/v1/database/roles/bad", "POST", new JsonObject { ["db_name"] = DatabaseCluster.Connection }.ToJsonString()),
            ("/v1/database/roles/bad", "POST", new JsonObject { ["db_name"] = DatabaseCluster.Connection, ["creation_statements"] = "SELECT 1", ["default_ttl"] = "2h", ["max_ttl"] = "1h" }.ToJsonString()),
            ("/v1/database/roles/bad", "POST", new JsonObject { ["db_name"] = DatabaseCluster.Connection, ["creation_statements"] = "SELECT 1", ["default_ttl"] = "soon" }.ToJsonString()),
            ("/v1/database/roles/bad", "POST", new JsonObject { ["db_name"] = DatabaseCluster.Connection, ["creation_statements"] = new JsonArray(1, 2) }.ToJsonString()),
            ("/v1/database/creds/nosuchrole", "GET", null),
            ("/v1/sys/leases/revoke", "PUT", "{}"),
            ("/v1/sys/leases/renew", "PUT", Lease("database/creds/reader/nosuchlease")),
            ("/v1/sys/leases/renew", "PUT", new JsonObject { ["lease_id"] = "database/creds/reader/x", ["increment"] = "forever" }.ToJsonString()),
            ("/v1/sys/leases/lookup", "PUT", Lease("database/creds/reader/nosuchlease")),
        };
        foreach (var (path, method, json) in cases)
        {
            var (status, body) = await node.Http.SendAsync(new HttpMethod(method), path, json);
            Assert.True(status == HttpStatusCode.BadRequest, $"{method} {path} {json}: {(int)status} {body?.ToJsonString()}");
            Assert.True(body?["errors"] is JsonArray { Count: > 0 }, $"{method} {path}: not Vault's error shape: {body?.ToJsonString()}");
        }

        Assert.Equal(HttpStatusCode.NotFound, (await node.Http.GetJsonAsync("/v1/database/config/bad")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await node.Http.GetJsonAsync("/v1/database/roles/bad")).Status);

        // A role the connection does not allow issues nothing.
        var (status2, _) = await node.Http.SendAsync(HttpMethod.Post, "/v1/database/config/narrow", new JsonObject
        {
            ["plugin_name"] = "postgresql-database-plugin", ["connection_url"] = Postgres.ConnectionUrl, ["username"] = PostgresServer.AdminUser,
            ["password"] = Postgres.AdminPassword, ["allowed_roles"] = new JsonArray("someone-else"),
        }.ToJsonString());
        Assert.Equal(HttpStatusCode.NoContent, status2);
        (status2, _) = await node.Http.SendAsync(HttpMethod.Post, "/v1/database/roles/narrowrole", new JsonObject { ["db_name"] = "narrow", ["creation_statements"] = "CREATE ROLE \"{{name}}\" LOGIN PASSWORD '{{password}}';" }.ToJsonString());
        Assert.Equal(HttpStatusCode.NoContent, status2);
        var (refused, refusal) = await node.Http.GetJsonAsync("/v1/database/creds/narrowrole");
        Assert.True(refused == HttpStatusCode.BadRequest, $"{(int)refused} {refusal?.ToJsonString()}");
        Assert.Contains("not an allowed role", refusal!["errors"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(roles, await Postgres.AdminAsync("SELECT count(*) FROM pg_roles"));

        // Lists (LIST and GET ?list=true) name what exists.
        var (listStatus, list) = await node.Http.SendAsync(new HttpMethod("LIST"), "/v1/database/config");
        Assert.Equal(HttpStatusCode.OK, listStatus);
        Assert.Contains(DatabaseCluster.Connection, list!["data"]!["keys"]!.AsArray().Select(static k => k!.GetValue<string>()));
        var (rolesStatus, rolesList) = await node.Http.GetJsonAsync("/v1/database/roles?list=true");
        Assert.Equal(HttpStatusCode.OK, rolesStatus);
        Assert.Contains("narrowrole", rolesList!["data"]!["keys"]!.AsArray().Select(static k => k!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.NoContent, (await node.Http.SendAsync(HttpMethod.Delete, "/v1/database/roles/narrowrole")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await node.Http.GetJsonAsync("/v1/database/roles/narrowrole")).Status);
    }

    [PostgresFact]
    public async Task NodeVault_ReadCredsThenRevoke_Unchanged()
    {
        await fixture.CreateRoleAsync("readonly", "1h", "24h");
        var follower = Cluster[await Cluster.FollowerAsync()];
        var secretFile = Path.Combine(Path.GetTempPath(), "cc-nodevault-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (code, text) = await NodeClients.RunAsync("vault-database.js", new Dictionary<string, string>
            {
                ["CC_ADDR"] = follower.HttpUrl, ["CC_TOKEN"] = NodeProcess.AdminToken, ["CC_ROLE"] = "readonly", ["CC_MODE"] = "read", ["CC_SECRET_FILE"] = secretFile,
            }, Timeout);
            Assert.True(code == 0, text);
            var result = JsonNode.Parse(text.Split('\n').Single(static l => l.StartsWith("RESULT ", StringComparison.Ordinal))[7..])!;
            var leaseId = result["lease_id"]!.GetValue<string>();
            var username = result["username"]!.GetValue<string>();
            var password = await File.ReadAllTextAsync(secretFile);
            Assert.DoesNotContain(password, text, StringComparison.Ordinal);
            Assert.True((await Postgres.TryAsUserAsync(username, password, "SELECT count(*) FROM items")).Ok, "node-vault's credential does not log in");

            (code, text) = await NodeClients.RunAsync("vault-database.js", new Dictionary<string, string>
            {
                ["CC_ADDR"] = follower.HttpUrl, ["CC_TOKEN"] = NodeProcess.AdminToken, ["CC_MODE"] = "revoke", ["CC_LEASE"] = leaseId,
            }, Timeout);
            Assert.True(code == 0, text);
            Assert.False((await Postgres.TryAsUserAsync(username, password)).Ok, "the user revoked by node-vault still logs in");
            Assert.False(await Postgres.RoleExistsAsync(username));
        }
        finally
        {
            File.Delete(secretFile);
        }
    }

    [PostgresFact]
    public async Task RevokingTheToken_RevokesItsLeases_AndPoliciesGateEachRolesCreds()
    {
        await fixture.CreateRoleAsync("tokenbound", "1h", "24h");
        var token = await Cluster.CreateTokenAsync("creds-tokenbound", new TestRule("database/creds/tokenbound", "*", "read"));
        using var client = Cluster[1].ClientWith(token);
        var (denied, deniedBody) = await client.GetJsonAsync("/v1/database/creds/reader");
        Assert.Equal(HttpStatusCode.Forbidden, denied);
        Assert.Equal("permission denied", deniedBody!["errors"]![0]!.GetValue<string>());
        var mine = await IssueAsync(client, "tokenbound");
        var others = await IssueAsync(Cluster[1], "tokenbound");
        Assert.True((await Postgres.TryAsUserAsync(mine.Username, mine.Password)).Ok);

        var (revoked, revokedBody) = await client.SendAsync(HttpMethod.Post, "/v1/auth/token/revoke-self");
        Assert.True(revoked == HttpStatusCode.NoContent, $"revoke-self: {(int)revoked} {revokedBody?.ToJsonString()}");
        await Eventually.WaitAsync(async () => !await Postgres.RoleExistsAsync(mine.Username), TimeSpan.FromSeconds(20), "the revoked token's lease to be revoked");
        await Eventually.WaitAsync(async () => (await Cluster[0].Http.SendAsync(HttpMethod.Put, "/v1/sys/leases/lookup", Lease(mine.LeaseId))).Status == HttpStatusCode.BadRequest,
            TimeSpan.FromSeconds(10), "the lease to be removed");
        // A lease of another token stays.
        Assert.True(await Postgres.RoleExistsAsync(others.Username));
        Assert.Equal(HttpStatusCode.OK, (await Cluster[0].Http.SendAsync(HttpMethod.Put, "/v1/sys/leases/lookup", Lease(others.LeaseId))).Status);
    }

    private sealed record Credential(string LeaseId, long Duration, string Username, string Password);

    private static async Task<DateTimeOffset> ExpiryAsync(NodeProcess node, string leaseId)
    {
        var (status, body) = await node.Http.SendAsync(HttpMethod.Put, "/v1/sys/leases/lookup", Lease(leaseId));
        Assert.True(status == HttpStatusCode.OK, $"lookup: {(int)status} {body?.ToJsonString()}");
        return DateTimeOffset.Parse(body!["data"]!["expire_time"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string Lease(string leaseId) => new JsonObject { ["lease_id"] = leaseId }.ToJsonString();

    // Issues a credential; a failure's message is Vault's error (it never holds a password).
    private static Task<Credential> IssueAsync(NodeProcess node, string role) => IssueAsync(node.Http, role);

    private static async Task<Credential> IssueAsync(HttpClient http, string role)
    {
        var (status, body) = await http.GetJsonAsync($"/v1/database/creds/{role}");
        Assert.True(status == HttpStatusCode.OK, $"creds/{role} on {http.BaseAddress}: {(int)status} {body?["errors"]?.ToJsonString()}");
        Assert.True(body!["renewable"]!.GetValue<bool>());
        return new Credential(body["lease_id"]!.GetValue<string>(), body["lease_duration"]!.GetValue<long>(),
            body["data"]!["username"]!.GetValue<string>(), body["data"]!["password"]!.GetValue<string>());
    }

    private static async Task<long> FailedRevocationsAsync(NodeProcess node)
    {
        var text = await node.Http.GetStringAsync("/metrics");
        var line = text.Split('\n').FirstOrDefault(static l => l.StartsWith("configcluster_leases_revocations", StringComparison.Ordinal) && l.Contains("result=\"failed\"", StringComparison.Ordinal));
        return line is null ? 0 : (long)double.Parse(line[(line.IndexOf('}', StringComparison.Ordinal) + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
    }
}
