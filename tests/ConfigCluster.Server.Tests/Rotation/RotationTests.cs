using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ConfigCluster.Client;
using ConfigCluster.Client.Configuration;
using ConfigCluster.Server.Tests.Harness;
using Microsoft.Extensions.Configuration;

namespace ConfigCluster.Server.Tests.Rotation;

/// <summary>One three-node cluster with a master key, shared by the rotation tests.</summary>
public sealed class RotationCluster : IAsyncLifetime
{
    internal TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
        => Cluster = await TestCluster.StartAsync(environment: new Dictionary<string, string> { ["CONFIGCLUSTER_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) });

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>
/// Secret rotation end to end on real nodes: policies over HTTP, on-demand and scheduled
/// rotations through the log (new versions, history with the rotating identity, audit, watches,
/// the IConfiguration provider, rollback), a leader kill in the middle of a schedule, webhooks
/// that get the key and version but never the value, failing hooks retried and counted, and bad
/// input refused without a change. Secret values never appear in any output or log.
/// </summary>
public sealed class RotationTests(RotationCluster fixture) : IClassFixture<RotationCluster>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private TestCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task RotateNow_MakesANewVersion_OldValueOnlyAsFingerprint_RollbackRestoresIt()
    {
        var follower = Cluster[await Cluster.FollowerAsync()];
        var initial = "INITIAL-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        await PutSecretAsync(follower, "rot.now.password", initial);
        await SetPolicyAsync(follower, "now-policy", new JsonObject
        {
            ["key"] = "rot.now.password", ["every"] = "30d",
            ["generator"] = new JsonObject { ["type"] = "password", ["length"] = 24, ["classes"] = new JsonArray("lower", "digits") },
        });

        var (status, body) = await follower.Http.SendAsync(HttpMethod.Post, "/config/rotate/rot.now.password");
        Assert.True(status == HttpStatusCode.OK, $"{(int)status} {body?.ToJsonString()}");
        Assert.Equal(2, body!["version"]!.GetValue<long>());
        Assert.DoesNotContain(initial, body.ToJsonString(), StringComparison.Ordinal);

        var rotated = await ValueAsync(Cluster[0], "rot.now.password");
        Assert.NotEqual(initial, rotated);
        Assert.Equal(24, rotated.Length);
        Assert.Matches("^[a-z0-9]{24}$", rotated);

        // History: the caller as author, fingerprints only.
        var (_, history) = await follower.Http.GetJsonAsync("/config/history/rot.now.password");
        var text = history!.ToJsonString();
        Assert.DoesNotContain(initial, text, StringComparison.Ordinal);
        Assert.DoesNotContain(rotated, text, StringComparison.Ordinal);
        var versions = history["versions"]!.AsArray();
        Assert.Equal(2, versions.Count);
        Assert.All(versions, static v => Assert.False(string.IsNullOrEmpty(v!["fingerprint"]?.GetValue<string>())));
        Assert.NotEqual(versions[0]!["fingerprint"]!.GetValue<string>(), versions[1]!["fingerprint"]!.GetValue<string>());
        Assert.Equal(versions[0]!["author"]!.GetValue<string>(), versions[1]!["author"]!.GetValue<string>());

        // Status: the policy, the last rotation, next due a period later; no value.
        var (statusCode, rotation) = await follower.Http.GetJsonAsync("/config/rotation/rot.now.password");
        Assert.Equal(HttpStatusCode.OK, statusCode);
        Assert.Equal("now-policy", rotation!["policy"]!.GetValue<string>());
        Assert.Equal("ok", rotation["lastResult"]!.GetValue<string>());
        Assert.Equal(1, rotation["rotations"]!.GetValue<long>());
        Assert.Equal(2, rotation["lastVersion"]!.GetValue<long>());
        Assert.True(DateTimeOffset.Parse(rotation["nextDue"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow.AddDays(29));
        Assert.DoesNotContain(rotated, rotation.ToJsonString(), StringComparison.Ordinal);

        // A generator given with the call wins over the policy's: 16 random bytes as base64.
        (status, body) = await follower.Http.SendAsync(HttpMethod.Post, "/config/rotate/rot.now.password", "{\"generator\": {\"type\": \"random-bytes\", \"bytes\": 16}}");
        Assert.True(status == HttpStatusCode.OK, $"{(int)status} {body?.ToJsonString()}");
        Assert.Equal(16, Convert.FromBase64String(await ValueAsync(Cluster[2], "rot.now.password")).Length);

        // Rollback after rotation: a new version holding the first value again.
        (status, body) = await follower.Http.SendAsync(HttpMethod.Post, "/config/rollback/rot.now.password?version=1");
        Assert.True(status == HttpStatusCode.OK, $"{(int)status} {body?.ToJsonString()}");
        Assert.Equal(4, body!["version"]!.GetValue<long>());
        Assert.Equal(initial, await ValueAsync(Cluster[1], "rot.now.password"));

        // Audited as "rotate" on the node that took the call; no value in any audit line or log.
        var audit = await File.ReadAllTextAsync(Path.Combine(follower.DataDirectory, "audit", "audit.jsonl"));
        Assert.Contains("\"rotate\"", audit, StringComparison.Ordinal);
        foreach (var node in Cluster.Nodes)
        {
            Assert.DoesNotContain(rotated, node.Log, StringComparison.Ordinal);
            Assert.DoesNotContain(initial, node.Log, StringComparison.Ordinal);
            Assert.DoesNotContain(rotated, await File.ReadAllTextAsync(Path.Combine(node.DataDirectory, "audit", "audit.jsonl")), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task BadInput_Gets400_AndChangesNothing()
    {
        var node = Cluster[0];
        await PutSecretAsync(node, "rot.bad.secret", "bad-input-secret");
        await node.Http.MustPutAsync("rot.bad.plain", "not a secret");
        var valid = new JsonObject { ["key"] = "rot.bad.secret", ["every"] = "1h", ["generator"] = new JsonObject { ["type"] = "password" } };
        var cases = new (string Name, string Body)[]
        {
            ("bad-every", With(valid, "every", "soon")),
            ("zero-every", With(valid, "every", "0s")),
            ("short-every", With(valid, "every", "100ms")),
            ("unknown-generator", With(valid, "generator", new JsonObject { ["type"] = "database-magic" })),
            ("no-generator", With(valid, "generator", null)),
            ("short-password", With(valid, "generator", new JsonObject { ["type"] = "password", ["length"] = 3 })),
            ("bad-class", With(valid, "generator", new JsonObject { ["type"] = "password", ["classes"] = new JsonArray("emoji") })),
            ("key-and-prefix", With(valid, "prefix", "rot.")),
            ("bad-hook", With(valid, "hook", "ftp://example.invalid/x")),
            ("bad-key", With(valid, "key", "no spaces allowed")),
            ("plain-key", With(valid, "key", "rot.bad.plain")),
            ("not-json", "{every"),
        };
        foreach (var (name, body) in cases)
        {
            var (status, answer) = await node.Http.SendAsync(HttpMethod.Put, $"/rotation/policies/{name}", body);
            Assert.True(status == HttpStatusCode.BadRequest, $"{name}: {(int)status} {answer?.ToJsonString()}");
        }

        var (badName, _) = await node.Http.SendAsync(HttpMethod.Put, "/rotation/policies/bad%20name", valid.ToJsonString());
        Assert.Equal(HttpStatusCode.BadRequest, badName);

        // Rotating a plain key or a missing key, or with an unknown generator, changes nothing.
        var (plain, _) = await node.Http.SendAsync(HttpMethod.Post, "/config/rotate/rot.bad.plain", "{\"generator\": {\"type\": \"password\"}}");
        Assert.Equal(HttpStatusCode.BadRequest, plain);
        var (missing, _) = await node.Http.SendAsync(HttpMethod.Post, "/config/rotate/rot.bad.nothing", "{\"generator\": {\"type\": \"password\"}}");
        Assert.Equal(HttpStatusCode.NotFound, missing);
        var (unknown, _) = await node.Http.SendAsync(HttpMethod.Post, "/config/rotate/rot.bad.secret", "{\"generator\": {\"type\": \"nope\"}}");
        Assert.Equal(HttpStatusCode.BadRequest, unknown);
        var (noPolicy, _) = await node.Http.SendAsync(HttpMethod.Post, "/config/rotate/rot.bad.secret");
        Assert.Equal(HttpStatusCode.BadRequest, noPolicy);

        var (_, policies) = await node.Http.GetJsonAsync("/rotation/policies");
        Assert.DoesNotContain(policies!["policies"]!.AsArray(), p => cases.Any(c => c.Name == p!["name"]!.GetValue<string>()));
        Assert.Equal(1, await VersionAsync(node, "rot.bad.secret"));
        Assert.Equal(1, await VersionAsync(node, "rot.bad.plain"));
        Assert.Equal("bad-input-secret", await ValueAsync(node, "rot.bad.secret"));
        var (deleteMissing, _) = await node.Http.SendAsync(HttpMethod.Delete, "/rotation/policies/never-was");
        Assert.Equal(HttpStatusCode.NotFound, deleteMissing);
    }

    [Fact]
    public async Task Schedule_EveryTwoSeconds_RotatesAcrossALeaderKill_WatchProviderAndHookSeeEachVersion()
    {
        using var hook = new HookReceiver();
        var leader = await Cluster.WaitForLeaderAsync(Timeout);
        var node = Cluster[(leader + 1) % 3];
        await PutSecretAsync(node, "sched.db.password", "first-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(6)));

        using var client = new ConfigClusterClient(ClientOptions());
        var changes = new ConcurrentQueue<ConfigChange>();
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var start = (await client.GetAsync("sched.db.password")).Revision;
        var watch = client.WatchAsync("sched.", change =>
        {
            changes.Enqueue(change);
            return Task.CompletedTask;
        }, startRevision: start, token: stop.Token);
        var configuration = new ConfigurationBuilder().AddConfigCluster(options =>
        {
            foreach (var n in Cluster.Nodes)
                options.Client.Endpoints.Add(new Uri(n.GrpcUrl));
            options.Client.Token = NodeProcess.AdminToken;
            options.Prefix = "sched.";
        }).Build();

        await SetPolicyAsync(node, "sched-policy", new JsonObject
        {
            ["prefix"] = "sched.db.", ["every"] = "2s", ["hook"] = hook.Url,
            ["generator"] = new JsonObject { ["type"] = "random-bytes", ["bytes"] = 24 },
        });
        await Eventually.WaitAsync(async () => await VersionAsync(node, "sched.db.password") >= 3, Timeout, "two scheduled rotations");

        // The provider reloads to a rotated value, as every client of the key does.
        var current = await ValueAsync(node, "sched.db.password");
        Assert.True(IsRotated(current), "the value is 24 random bytes as base64");
        await Eventually.WaitAsync(() => IsRotated(configuration["sched:db:password"]), Timeout, "the IConfiguration provider to see a rotated value");

        // Kill the leader: the new one continues the schedule.
        leader = await Cluster.WaitForLeaderAsync(Timeout);
        var atKill = await VersionAsync(node, "sched.db.password");
        await Cluster.KillNodeAsync(leader);
        try
        {
            var survivor = Cluster[(leader + 1) % 3];
            await Cluster.WaitForLeaderAsync(Timeout);
            try
            {
                await Eventually.WaitAsync(async () => await VersionAsync(survivor, "sched.db.password") >= atKill + 2, Timeout, "two more rotations under the new leader");
            }
            catch (TimeoutException e)
            {
                var (_, state) = await survivor.Http.GetJsonAsync("/config/rotation/sched.db.password");
                throw new TimeoutException($"{e.Message}; at kill: version {atKill}; status {state?.ToJsonString()}\n{Cluster.Logs(60)}", e);
            }

            var (_, history) = await survivor.Http.GetJsonAsync("/config/history/sched.db.password");
            var rotations = history!["versions"]!.AsArray().Skip(1).ToList();
            Assert.All(rotations, static v => Assert.Equal("rotation:sched-policy", v!["author"]!.GetValue<string>()));
            // Never doubled: one rotation per 2 s period at most (the first may come at once, then on the period grid).
            var times = rotations.Select(static v => DateTimeOffset.Parse(v!["updatedAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)).ToList();
            var span = (times[^1] - times[0]).TotalSeconds;
            Assert.True(rotations.Count - 1 <= (span / 2) + 1, $"{rotations.Count} rotations in {span:0.0} s");
            var last = rotations[^1]!["version"]!.GetValue<long>();

            // The watcher saw each rotated version once, with the rotating identity and no value.
            await Eventually.WaitAsync(() => changes.Any(c => c.Version == last), Timeout, "the watcher to see the last rotation");
            var rotated = changes.Where(static c => c.Key == "sched.db.password" && c.Version >= 2).ToList();
            Assert.Equal(rotations.Select(static v => v!["version"]!.GetValue<long>()), rotated.Select(static c => c.Version));
            Assert.All(rotated, static c => Assert.Equal("rotation:sched-policy", c.Author));
            Assert.All(rotated, static c => Assert.True(c.Secret));

            // The hook hears of the rotations (the latest version when several are pending): key and version, never the value.
            await Eventually.WaitAsync(() => hook.Notices.Any(n => n["version"]!.GetValue<long>() >= last), Timeout, "the hook to hear of the last rotation");
            var value = await ValueAsync(survivor, "sched.db.password");
            Assert.All(hook.Bodies, b => Assert.DoesNotContain(value, b, StringComparison.Ordinal));
            Assert.All(hook.Notices, static n =>
            {
                Assert.Equal("sched.db.password", n["key"]!.GetValue<string>());
                Assert.Equal("default", n["namespace"]!.GetValue<string>());
                Assert.Equal("sched-policy", n["policy"]!.GetValue<string>());
            });

            // Audited and counted on the leader that ran them; the schedule shows in the due gauge.
            var newLeader = Cluster[await Cluster.WaitForLeaderAsync(Timeout)];
            var audit = await File.ReadAllTextAsync(Path.Combine(newLeader.DataDirectory, "audit", "audit.jsonl"));
            Assert.Contains("rotation:sched-policy", audit, StringComparison.Ordinal);
            Assert.DoesNotContain(value, audit, StringComparison.Ordinal);
            var metrics = await newLeader.Http.GetStringAsync("/metrics");
            Assert.Matches("configcluster_rotations_total\\{[^}]*result=\"ok\"[^}]*\\} [1-9]", metrics);
            Assert.Contains("configcluster_rotation_due_seconds{", metrics, StringComparison.Ordinal);
            foreach (var running in Cluster.Nodes.Where(static n => n.IsRunning))
                Assert.DoesNotContain(value, running.Log, StringComparison.Ordinal);
        }
        finally
        {
            await Cluster[(leader + 1) % 3].Http.SendAsync(HttpMethod.Delete, "/rotation/policies/sched-policy");
            await stop.CancelAsync();
            await watch;
            (configuration as IDisposable)?.Dispose();
            await Cluster.StartNodeAsync(leader);
        }
    }

    [Fact]
    public async Task FailingHook_IsRetriedWithBackoff_CountedAndShownInStatus_ThenDelivered()
    {
        using var hook = new HookReceiver { Failing = true };
        var node = Cluster[0];
        await PutSecretAsync(node, "hooked.api.key", "hooked-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(6)));
        await SetPolicyAsync(node, "hooked-policy", new JsonObject
        {
            ["key"] = "hooked.api.key", ["every"] = "30d", ["hook"] = hook.Url,
            ["generator"] = new JsonObject { ["type"] = "password", ["length"] = 40 },
        });
        var (status, body) = await node.Http.SendAsync(HttpMethod.Post, "/config/rotate/hooked.api.key");
        Assert.True(status == HttpStatusCode.OK, $"{(int)status} {body?.ToJsonString()}");
        var version = body!["version"]!.GetValue<long>();

        JsonNode? shown = null;
        await Eventually.WaitAsync(async () =>
        {
            (_, shown) = await node.Http.GetJsonAsync("/config/rotation/hooked.api.key");
            return shown!["hook"]!["attempts"]!.GetValue<long>() >= 2;
        }, Timeout, "two failed hook calls in the key's status");
        Assert.Equal(version, shown!["hook"]!["pendingVersion"]!.GetValue<long>());
        Assert.Contains("500", shown["hook"]!["lastError"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.All(hook.Notices, n => Assert.Equal(version, n["version"]!.GetValue<long>()));

        var leader = Cluster[await Cluster.WaitForLeaderAsync(Timeout)];
        var metrics = await leader.Http.GetStringAsync("/metrics");
        Assert.Matches("configcluster_rotation_hooks_total\\{[^}]*result=\"failed\"[^}]*\\} [1-9]", metrics);

        hook.Failing = false;
        await Eventually.WaitAsync(async () =>
        {
            (_, shown) = await node.Http.GetJsonAsync("/config/rotation/hooked.api.key");
            return shown!["hook"]!["deliveredVersion"]!.GetValue<long>() == version;
        }, Timeout, "the hook notice delivered once the hook answers");
        Assert.Equal(0, shown!["hook"]!["pendingVersion"]!.GetValue<long>());
        Assert.True(hook.Refused >= 2);
        var value = await ValueAsync(node, "hooked.api.key");
        Assert.All(hook.Bodies, b => Assert.DoesNotContain(value, b, StringComparison.Ordinal));
    }

    [Fact]
    public async Task SealedLeader_DueRotationFails_CountedAndShown_ThenTheNextLeaderRotates()
    {
        var leader = await Cluster.WaitForLeaderAsync(Timeout);
        var sealedIndex = (leader + 1) % 3;
        var sealedNode = Cluster[sealedIndex];
        var environment = sealedNode.Environment;
        var initial = "sealed-initial-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(6));
        await PutSecretAsync(Cluster[leader], "sealed.rot.key", initial);

        // Restart one node without the master key and make it the leader.
        await sealedNode.StopAsync();
        sealedNode.Environment = environment.Where(static e => e.Key != "CONFIGCLUSTER_MASTER_KEY").ToDictionary();
        await Cluster.StartNodeAsync(sealedIndex);
        try
        {
            await Eventually.WaitAsync(async () =>
            {
                var current = Cluster[await Cluster.WaitForLeaderAsync(Timeout)];
                if (current == sealedNode)
                    return true;
                await current.Http.SendAsync(HttpMethod.Post, $"/cluster/leader/transfer?to={sealedNode.NodeId}");
                return false;
            }, Timeout, "the sealed node to lead");
            await SetPolicyAsync(sealedNode, "sealed-policy", new JsonObject
            {
                ["key"] = "sealed.rot.key", ["every"] = "1s", ["generator"] = new JsonObject { ["type"] = "password", ["length"] = 20 },
            });

            JsonNode? shown = null;
            await Eventually.WaitAsync(async () =>
            {
                (_, shown) = await sealedNode.Http.GetJsonAsync("/config/rotation/sealed.rot.key");
                return shown!["attempts"]!.GetValue<long>() >= 2;
            }, Timeout, "failed attempts in the key's status");
            Assert.Equal("failed", shown!["lastResult"]!.GetValue<string>());
            Assert.Contains("sealed", shown["lastError"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(1, await VersionAsync(sealedNode, "sealed.rot.key"));
            var metrics = await sealedNode.Http.GetStringAsync("/metrics");
            Assert.Matches("configcluster_rotations_total\\{[^}]*result=\"failed\"[^}]*\\} [1-9]", metrics);
        }
        finally
        {
            // Back with the master key: leadership moves, and the next leader runs what is due.
            await sealedNode.StopAsync();
            sealedNode.Environment = environment;
            await Cluster.StartNodeAsync(sealedIndex);
        }

        var other = Cluster[(sealedIndex + 1) % 3];
        await Eventually.WaitAsync(async () => await VersionAsync(other, "sealed.rot.key") >= 2, Timeout, "a rotation by the next leader");
        var (_, status) = await other.Http.GetJsonAsync("/config/rotation/sealed.rot.key");
        Assert.Equal("ok", status!["lastResult"]!.GetValue<string>());
        Assert.Equal(0, status["attempts"]!.GetValue<long>());
        Assert.NotEqual(initial, await ValueAsync(other, "sealed.rot.key"));
        await other.Http.SendAsync(HttpMethod.Delete, "/rotation/policies/sealed-policy");
    }

    [Fact]
    public async Task Ccctl_RotationPolicyAndRotateOverGrpc_NeverPrintsTheValue()
    {
        var node = Cluster[1];
        await PutSecretAsync(node, "cli.rot.token", "cli-initial-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(6)));
        var outputs = new List<string>();
        async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
        {
            var run = await Ccctl.RunAsync(Cluster, args);
            outputs.Add(run.Out + run.Err);
            return run;
        }

        var (code, output, error) = await RunAsync("secret", "rotation", "set", "cli-policy", "--key", "cli.rot.token", "--every", "1h", "--generator", "random-bytes", "--bytes", "20");
        Assert.True(code == 0, output + error);
        Assert.Contains("cli-policy", output, StringComparison.Ordinal);
        (code, output, error) = await RunAsync("secret", "rotation", "list", "-o", "json");
        Assert.True(code == 0, output + error);
        Assert.Contains(JsonNode.Parse(output)!.AsArray(), static p => p!["name"]!.GetValue<string>() == "cli-policy" && p["every"]!.GetValue<string>() == "1h");

        (code, output, error) = await RunAsync("secret", "rotate", "cli.rot.token");
        Assert.True(code == 0, output + error);
        Assert.Contains("version 2", output, StringComparison.Ordinal);
        (code, output, error) = await RunAsync("secret", "status", "cli.rot.token", "-o", "json");
        Assert.True(code == 0, output + error);
        var status = JsonNode.Parse(output)!;
        Assert.Equal("cli-policy", status["policy"]!.GetValue<string>());
        Assert.Equal("ok", status["lastResult"]!.GetValue<string>());
        Assert.Equal(2, status["lastVersion"]!.GetValue<long>());
        var value = await ValueAsync(node, "cli.rot.token");
        Assert.Equal(20, Convert.FromBase64String(value).Length);

        // Bad input through gRPC: INVALID_ARGUMENT, a non-zero exit, nothing changed.
        (code, _, error) = await RunAsync("secret", "rotation", "set", "cli-bad", "--key", "cli.rot.token", "--every", "whenever");
        Assert.NotEqual(0, code);
        Assert.Contains("every", error, StringComparison.Ordinal);
        (code, _, _) = await RunAsync("secret", "rotate", "cli.rot.token", "--generator", "nope");
        Assert.NotEqual(0, code);
        Assert.Equal(2, await VersionAsync(node, "cli.rot.token"));

        (code, output, error) = await RunAsync("secret", "rotation", "delete", "cli-policy");
        Assert.True(code == 0, output + error);
        (code, _, _) = await RunAsync("secret", "rotation", "get", "cli-policy");
        Assert.NotEqual(0, code);
        Assert.All(outputs, o => Assert.DoesNotContain(value, o, StringComparison.Ordinal));
    }

    private ConfigClusterClientOptions ClientOptions()
    {
        var options = new ConfigClusterClientOptions { Token = NodeProcess.AdminToken };
        foreach (var node in Cluster.Nodes)
            options.Endpoints.Add(new Uri(node.GrpcUrl));
        return options;
    }

    private static async Task PutSecretAsync(NodeProcess node, string key, string value)
    {
        var (status, body) = await node.Http.PutJsonAsync($"/config/{key}", new JsonObject { ["value"] = value, ["secret"] = true }.ToJsonString());
        Assert.True(status == HttpStatusCode.OK, $"put {key}: {(int)status} {body?.ToJsonString()}");
    }

    private static async Task SetPolicyAsync(NodeProcess node, string name, JsonObject policy)
    {
        var (status, body) = await node.Http.SendAsync(HttpMethod.Put, $"/rotation/policies/{name}", policy.ToJsonString());
        Assert.True(status == HttpStatusCode.OK, $"policy {name}: {(int)status} {body?.ToJsonString()}");
    }

    private static async Task<string> ValueAsync(NodeProcess node, string key)
    {
        var (status, body) = await node.Http.GetJsonAsync($"/config/{key}");
        Assert.Equal(HttpStatusCode.OK, status);
        return body!["value"]!.GetValue<string>();
    }

    // From the history, which a sealed node serves too (it shows no value).
    private static async Task<long> VersionAsync(NodeProcess node, string key)
    {
        var (status, body) = await node.Http.GetJsonAsync($"/config/history/{key}");
        Assert.Equal(HttpStatusCode.OK, status);
        return body!["versions"]!.AsArray()[^1]!["version"]!.GetValue<long>();
    }

    private static bool IsRotated(string? value)
    {
        var bytes = new byte[64];
        return value is not null && Convert.TryFromBase64String(value, bytes, out var written) && written == 24;
    }

    private static string With(JsonObject template, string name, JsonNode? value)
    {
        var copy = (JsonObject)template.DeepClone();
        if (value is null)
            copy.Remove(name);
        else
            copy[name] = value;
        return copy.ToJsonString();
    }
}
