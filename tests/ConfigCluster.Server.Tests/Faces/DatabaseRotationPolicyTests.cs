using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ConfigCluster.Client;
using ConfigCluster.Contracts.V1;
using ConfigCluster.Server.Tests.Harness;
using Grpc.Core;

namespace ConfigCluster.Server.Tests.Faces;

/// <summary>
/// A rotation policy whose generator is a database static role's password, against a real
/// PostgreSQL: each scheduled rotation sets a new password in the database and stores it as the
/// secret key's new version (the old one stops logging in, the key's new version does); the same
/// generator on demand over gRPC and through ccctl; a missing or unknown static role is refused
/// with nothing changed; no password reaches a node's log, data files or ccctl's output.
/// </summary>
public sealed class DatabaseRotationPolicyTests(DatabaseCluster fixture) : IClassFixture<DatabaseCluster>
{
    private const string Key = "db.keyed.password";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private TestCluster Cluster => fixture.Cluster;

    private PostgresServer Postgres => fixture.Postgres;

    [PostgresFact]
    public async Task DatabaseGenerator_EachRotationSetsThePasswordInPostgres_KeyVersionLogsIn_OldStops_HttpGrpcCcctl()
    {
        var initial = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
        await Postgres.AdminAsync($"CREATE ROLE app_keyed LOGIN PASSWORD '{initial}'; GRANT SELECT ON items TO app_keyed;");
        var follower = Cluster[await Cluster.FollowerAsync()];
        // The role's own period is long: here the key's policy drives its rotations.
        var (status, body) = await follower.Http.SendAsync(HttpMethod.Post, "/v1/database/static-roles/keyed", new JsonObject
        {
            ["db_name"] = DatabaseCluster.Connection, ["username"] = "app_keyed", ["rotation_period"] = "1h",
        }.ToJsonString());
        Assert.True(status == HttpStatusCode.NoContent, $"static role: {(int)status} {body?.ToJsonString()}");
        (status, body) = await follower.Http.PutJsonAsync($"/config/{Key}", new JsonObject { ["value"] = "placeholder", ["secret"] = true }.ToJsonString());
        Assert.True(status == HttpStatusCode.OK, $"put: {(int)status} {body?.ToJsonString()}");

        // Scheduled (HTTP policy): every rotation is a new version holding the role's new password.
        await SetPolicyAsync(follower, "2s");

        var passwords = new List<string> { initial };
        var first = await NextVersionAsync(follower, 1);
        passwords.Add(first.Value);
        var second = await NextVersionAsync(follower, first.Version);
        passwords.Add(second.Value);
        Assert.NotEqual(first.Value, second.Value);
        var (_, history) = await follower.Http.GetJsonAsync($"/config/history/{Key}");
        Assert.Contains(history!["versions"]!.AsArray(), v => v!["version"]!.GetValue<long>() == second.Version && v["author"]?.GetValue<string>() == "rotation:keyed-db");

        // A long period now: whatever the schedule made last is the key's head and the role's password.
        await SetPolicyAsync(follower, "1h");
        var head = await SettledAsync(Cluster[0]);
        passwords.Add(head.Value);
        var login = await Postgres.TryAsUserAsync("app_keyed", head.Value, "SELECT name FROM items WHERE id = 1");
        Assert.True(login.Ok, $"the key's latest version does not log in: {login.Error}");
        foreach (var old in new[] { initial, first.Value, second.Value }.Where(p => p != head.Value))
            Assert.False((await Postgres.TryAsUserAsync("app_keyed", old)).Ok, "a rotated-away password still logs in");

        // The role rotated by itself (rotate-role): the key follows with a new version.
        (status, body) = await Cluster[2].Http.SendAsync(HttpMethod.Post, "/v1/database/rotate-role/keyed");
        Assert.True(status == HttpStatusCode.NoContent, $"rotate-role: {(int)status} {body?.ToJsonString()}");
        var followed = await NextVersionAsync(follower, head.Version);
        passwords.Add(followed.Value);
        Assert.Equal(followed.Value, await StaticPasswordAsync(Cluster[1]));
        Assert.False((await Postgres.TryAsUserAsync("app_keyed", head.Value)).Ok, "the password before rotate-role still works");
        Assert.True((await Postgres.TryAsUserAsync("app_keyed", followed.Value)).Ok, "the followed version does not log in");
        head = followed;

        // On demand over gRPC with the database generator given.
        using (var client = new ConfigClusterClient(ClientOptions()))
        {
            var rotated = await RotateRetryingAbortedAsync(client);
            Assert.True(rotated.Version > head.Version, $"gRPC rotation made version {rotated.Version} after {head.Version}");
            var afterGrpc = await SettledAsync(Cluster[2]);
            passwords.Add(afterGrpc.Value);
            Assert.False((await Postgres.TryAsUserAsync("app_keyed", head.Value)).Ok, "the password before the gRPC rotation still works");
            Assert.True((await Postgres.TryAsUserAsync("app_keyed", afterGrpc.Value)).Ok, "the gRPC rotation's version does not log in");
            head = afterGrpc;

            // The SDK raises INVALID_ARGUMENT as its validation exception, the status inside.
            var unknown = await Assert.ThrowsAsync<ConfigValidationException>(() => client.RotateAsync(Key, new RotationGenerator { Type = "database", StaticRole = "nosuchrole" }));
            Assert.Equal(StatusCode.InvalidArgument, Assert.IsType<RpcException>(unknown.InnerException).StatusCode);
            var unnamed = await Assert.ThrowsAsync<ConfigValidationException>(() => client.RotateAsync(Key, new RotationGenerator { Type = "database" }));
            Assert.Equal(StatusCode.InvalidArgument, Assert.IsType<RpcException>(unnamed.InnerException).StatusCode);
            var policy = await client.GetRotationPolicyAsync("keyed-db");
            Assert.Equal("database", policy.Generator.Type);
            Assert.Equal("keyed", policy.Generator.StaticRole);
        }

        // ccctl: --static-role implies the database generator; the value is never printed.
        // Like the gRPC call above: a rotation that meets the key still changing (the role's follow-up
        // of the previous rotation) is refused as Aborted and is run again, a few times at most.
        var run = await Ccctl.RunAsync(Cluster, "secret", "rotate", Key, "--static-role", "keyed");
        for (var attempt = 1; attempt < 5 && run.Code != 0 && run.Err.Contains("Aborted", StringComparison.Ordinal); attempt++)
            run = await Ccctl.RunAsync(Cluster, "secret", "rotate", Key, "--static-role", "keyed");
        Assert.True(run.Code == 0, $"ccctl secret rotate: {run.Code} {run.Err}");
        var afterCli = await SettledAsync(Cluster[1]);
        passwords.Add(afterCli.Value);
        Assert.True(afterCli.Version > head.Version, $"ccctl rotation made version {afterCli.Version} after {head.Version}");
        Assert.Contains("version ", run.Out, StringComparison.Ordinal);
        Assert.False((await Postgres.TryAsUserAsync("app_keyed", head.Value)).Ok, "the password before the ccctl rotation still works");
        Assert.True((await Postgres.TryAsUserAsync("app_keyed", afterCli.Value)).Ok, "the ccctl rotation's version does not log in");
        Assert.DoesNotContain(afterCli.Value, run.Out + run.Err, StringComparison.Ordinal);
        var listed = await Ccctl.RunAsync(Cluster, "secret", "rotation", "set", "keyed-cli", "--key", Key, "--every", "1h", "--static-role", "keyed");
        Assert.True(listed.Code == 0, $"ccctl rotation set: {listed.Code} {listed.Err}");
        Assert.Contains("database keyed", listed.Out, StringComparison.Ordinal);
        Assert.Equal(0, (await Ccctl.RunAsync(Cluster, "secret", "rotation", "delete", "keyed-cli")).Code);

        // Bad input: 400, and neither the key nor the database password changes.
        var bad = new[]
        {
            ("/rotation/policies/keyed-bad", HttpMethod.Put, new JsonObject { ["key"] = Key, ["every"] = "1h", ["generator"] = new JsonObject { ["type"] = "database" } }),
            ("/rotation/policies/keyed-bad", HttpMethod.Put, new JsonObject { ["key"] = Key, ["every"] = "1h", ["generator"] = new JsonObject { ["type"] = "database", ["staticRole"] = "nosuchrole" } }),
            ("/rotation/policies/keyed-bad", HttpMethod.Put, new JsonObject { ["key"] = Key, ["every"] = "1h", ["generator"] = new JsonObject { ["type"] = "database", ["staticRole"] = 7 } }),
            ("/rotation/policies/keyed-bad", HttpMethod.Put, new JsonObject { ["prefix"] = "db.", ["every"] = "1h", ["generator"] = new JsonObject { ["type"] = "database", ["staticRole"] = "keyed" } }),
            ($"/config/rotate/{Key}", HttpMethod.Post, new JsonObject { ["generator"] = new JsonObject { ["type"] = "database", ["staticRole"] = "nosuchrole" } }),
            ($"/config/rotate/{Key}", HttpMethod.Post, new JsonObject { ["generator"] = new JsonObject { ["type"] = "database", ["staticRole"] = "bad role" } }),
        };
        foreach (var (path, method, json) in bad)
        {
            (status, body) = await follower.Http.SendAsync(method, path, json.ToJsonString());
            Assert.True(status == HttpStatusCode.BadRequest, $"{path} {json.ToJsonString()}: {(int)status} {body?.ToJsonString()}");
        }

        Assert.Equal(HttpStatusCode.NotFound, (await follower.Http.GetJsonAsync("/rotation/policies/keyed-bad")).Status);
        Assert.Equal(afterCli, await HeadAsync(Cluster[0]));
        Assert.True((await Postgres.TryAsUserAsync("app_keyed", afterCli.Value)).Ok, "a refused rotation changed the database password");
        (status, _) = await follower.Http.SendAsync(HttpMethod.Delete, "/rotation/policies/keyed-db");
        Assert.Equal(HttpStatusCode.NoContent, status);

        await Cluster.WaitForConvergenceAsync(Timeout);
        AssertNowhere(passwords);
    }

    private sealed record Head(long Version, string Value);

    private ConfigClusterClientOptions ClientOptions()
    {
        var options = new ConfigClusterClientOptions { Token = NodeProcess.AdminToken };
        foreach (var node in Cluster.Nodes)
            options.Endpoints.Add(new Uri(node.GrpcUrl));
        return options;
    }

    private static async Task SetPolicyAsync(NodeProcess node, string every)
    {
        var (status, body) = await node.Http.SendAsync(HttpMethod.Put, "/rotation/policies/keyed-db", new JsonObject
        {
            ["key"] = Key, ["every"] = every, ["generator"] = new JsonObject { ["type"] = "database", ["staticRole"] = "keyed" },
        }.ToJsonString());
        Assert.True(status == HttpStatusCode.OK, $"policy: {(int)status} {body?.ToJsonString()}");
        Assert.Equal("database", body!["generator"]!["type"]!.GetValue<string>());
        Assert.Equal("keyed", body["generator"]!["staticRole"]!.GetValue<string>());
    }

    // The key's head once it holds the static role's current password (the leader follows the role).
    // ABORTED means another rotation of the key (the key following its role) committed while
    // this one was prepared: nothing was changed, and the documented answer is to try again.
    private static async Task<WriteResponse> RotateRetryingAbortedAsync(ConfigClusterClient client)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await client.RotateAsync(Key, new RotationGenerator { Type = "database", StaticRole = "keyed" });
            }
            catch (ConfigUnavailableException e) when (attempt < 5 && e.InnerException is RpcException { StatusCode: StatusCode.Aborted })
            {
            }
        }
    }

    private static async Task<Head> SettledAsync(NodeProcess node)
    {
        Head? head = null;
        await Eventually.WaitAsync(async () =>
        {
            var (status, body) = await node.Http.GetJsonAsync($"/config/{Key}");
            var (credsStatus, creds) = await node.Http.GetJsonAsync("/v1/database/static-creds/keyed");
            if (status != HttpStatusCode.OK || credsStatus != HttpStatusCode.OK)
                return false;
            head = new Head(body!["version"]!.GetValue<long>(), body["value"]!.GetValue<string>());
            return head.Value == creds!["data"]!["password"]!.GetValue<string>();
        }, Timeout, "the key to hold the static role's password");
        return head!;
    }

    private static async Task<Head> HeadAsync(NodeProcess node)
    {
        var (status, body) = await node.Http.GetJsonAsync($"/config/{Key}");
        Assert.True(status == HttpStatusCode.OK, $"{node.NodeId} get: {(int)status}");
        return new Head(body!["version"]!.GetValue<long>(), body["value"]!.GetValue<string>());
    }

    private static async Task<Head> NextVersionAsync(NodeProcess node, long after)
    {
        Head? next = null;
        await Eventually.WaitAsync(async () =>
        {
            var (status, body) = await node.Http.GetJsonAsync($"/config/{Key}");
            if (status != HttpStatusCode.OK || body!["version"]!.GetValue<long>() <= after)
                return false;
            next = new Head(body["version"]!.GetValue<long>(), body["value"]!.GetValue<string>());
            return true;
        }, Timeout, $"a rotation after version {after}");
        return next!;
    }

    private static async Task<string> StaticPasswordAsync(NodeProcess node)
    {
        var (status, body) = await node.Http.GetJsonAsync("/v1/database/static-creds/keyed");
        Assert.True(status == HttpStatusCode.OK, $"{node.NodeId} static-creds: {(int)status}");
        return body!["data"]!["password"]!.GetValue<string>();
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
}
