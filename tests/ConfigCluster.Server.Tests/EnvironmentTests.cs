using System.Net;
using ConfigCluster.Contracts.V1;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests;

/// <summary>Namespaces, environment inheritance, masks, diff, change-sets, promote, effective watches.</summary>
public sealed class EnvironmentTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Inheritance_ProdOverridesDefault_StagingFallsBack_NamespacesAreIsolated()
    {
        await using var cluster = await TestCluster.StartAsync();
        var http = cluster[0].Http;
        await http.MustPutAsync("db.pool", 10);
        await http.MustPutAsync("db.pool", 50, "?env=prod");
        await http.MustPutAsync("secret.thing", 1, "?ns=team-a");

        var (_, prod) = await cluster[1].Http.GetJsonAsync("/config/db.pool?env=prod");
        Assert.Equal(50, prod!["value"]!.GetValue<int>());
        Assert.Equal("prod", prod["source"]!.GetValue<string>());
        var (_, staging) = await cluster[1].Http.GetJsonAsync("/config/db.pool?env=staging");
        Assert.Equal(10, staging!["value"]!.GetValue<int>());
        Assert.Equal("default", staging["source"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.OK, (await http.GetJsonAsync("/config/secret.thing?ns=team-a")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetJsonAsync("/config/secret.thing?ns=team-b")).Status);
        var (_, teamBList) = await http.GetJsonAsync("/config?ns=team-b");
        Assert.Empty(teamBList!["items"]!.AsArray());

        // Removing prod's override falls back; masking hides the inherited value too.
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(HttpMethod.Delete, "/config/db.pool?env=prod")).Status);
        Assert.Equal(10, (await http.GetJsonAsync("/config/db.pool?env=prod")).Body!["value"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(HttpMethod.Delete, "/config/db.pool?env=prod&mask=true")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetJsonAsync("/config/db.pool?env=prod")).Status);
        Assert.Equal(10, (await http.GetJsonAsync("/config/db.pool?env=staging")).Body!["value"]!.GetValue<int>());
    }

    [Fact]
    public async Task InheritanceChains_AreFollowed_AndCyclesRejected()
    {
        await using var cluster = await TestCluster.StartAsync();
        var http = cluster[1].Http;
        await http.MustPutAsync("a", "from-qa", "?env=qa");
        var (status, env) = await http.SendAsync(HttpMethod.Put, "/environments/dev", "{\"inherits\": \"qa\"}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["dev", "qa", "default"], env!["chain"]!.AsArray().Select(static e => e!.GetValue<string>()));
        Assert.Equal("qa", (await http.GetJsonAsync("/config/a?env=dev")).Body!["source"]!.GetValue<string>());

        var (cycle, cycleBody) = await http.SendAsync(HttpMethod.Put, "/environments/qa", "{\"inherits\": \"dev\"}");
        Assert.Equal(HttpStatusCode.BadRequest, cycle);
        Assert.Contains("cycle", cycleBody!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Diff_StagingToProd_ListsOnlyEffectiveDifferences()
    {
        await using var cluster = await TestCluster.StartAsync();
        var http = cluster[0].Http;
        await http.MustPutAsync("db.pool", 10);
        await http.MustPutAsync("db.host", "shared");
        await http.MustPutAsync("db.pool", 50, "?env=prod");
        await http.MustPutAsync("only.prod", true, "?env=prod");

        var (_, diff) = await cluster[2].Http.GetJsonAsync("/diff?from=staging&to=prod");
        Assert.Equal(["db.pool"], diff!["changed"]!.AsArray().Select(static c => c!["key"]!.GetValue<string>()));
        Assert.Equal(["only.prod"], diff["added"]!.AsArray().Select(static c => c!["key"]!.GetValue<string>()));
        Assert.Empty(diff["removed"]!.AsArray());
    }

    [Fact]
    public async Task ChangeSet_WithOneFailingExpectedVersion_ChangesNothing()
    {
        await using var cluster = await TestCluster.StartAsync();
        var http = cluster[1].Http;
        var before = (await http.MustPutAsync("cs.a", 1))["revision"]!.GetValue<long>();

        var (status, _) = await http.SendAsync(HttpMethod.Post, "/changesets",
            "{\"message\": \"bad\", \"items\": [{\"op\": \"put\", \"key\": \"cs.b\", \"value\": 2}, {\"op\": \"put\", \"key\": \"cs.a\", \"value\": 3, \"expectedVersion\": 9}]}");
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetJsonAsync("/config/cs.b")).Status);
        Assert.Equal(before, (await cluster[0].Http.GetJsonAsync("/config/cs.a")).Body!["revision"]!.GetValue<long>());
        Assert.Equal(1, (await cluster[0].Http.GetJsonAsync("/config/cs.a")).Body!["version"]!.GetValue<long>());

        var (okStatus, ok) = await http.SendAsync(HttpMethod.Post, "/changesets",
            "{\"message\": \"good\", \"items\": [{\"op\": \"put\", \"key\": \"cs.b\", \"value\": 2}, {\"op\": \"put\", \"key\": \"cs.a\", \"value\": 3, \"expectedVersion\": 1}, {\"op\": \"delete\", \"key\": \"cs.a\", \"environment\": \"prod\", \"mask\": true}]}");
        Assert.Equal(HttpStatusCode.OK, okStatus);
        var revision = ok!["revision"]!.GetValue<long>();
        Assert.Equal(before + 1, revision);
        Assert.Equal(revision, (await http.GetJsonAsync("/config/cs.b")).Body!["revision"]!.GetValue<long>());
        Assert.Equal(revision, (await http.GetJsonAsync("/config/cs.a")).Body!["revision"]!.GetValue<long>());
    }

    [Fact]
    public async Task Promote_WritesDifferingKeysIntoTarget_AsOneChangeSetWithItsMessage()
    {
        await using var cluster = await TestCluster.StartAsync();
        var http = cluster[0].Http;
        await http.MustPutAsync("svc.timeout", 5);
        await http.MustPutAsync("svc.timeout", 9, "?env=staging");
        var before = (await http.MustPutAsync("svc.retries", 3, "?env=staging"))["revision"]!.GetValue<long>();

        var (status, promoted) = await http.SendAsync(HttpMethod.Post, "/promote?from=staging&to=prod&prefix=svc.");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["svc.retries", "svc.timeout"], promoted!["promoted"]!.AsArray().Select(static p => p!.GetValue<string>()));
        var revision = promoted["revision"]!.GetValue<long>();
        Assert.Equal(before + 1, revision);
        Assert.Equal(9, (await http.GetJsonAsync("/config/svc.timeout?env=prod")).Body!["value"]!.GetValue<int>());
        var (_, diff) = await http.GetJsonAsync("/diff?from=staging&to=prod&prefix=svc.");
        Assert.Empty(diff!["changed"]!.AsArray());
        Assert.Empty(diff["added"]!.AsArray());

        // A second promote names its own message.
        await http.MustPutAsync("svc.retries", 4, "?env=staging");
        var (secondStatus, second) = await http.SendAsync(HttpMethod.Post, "/promote?from=staging&to=prod&prefix=svc.&message=release-42");
        Assert.Equal(HttpStatusCode.OK, secondStatus);
        var secondRevision = second!["revision"]!.GetValue<long>();
        var end = (await http.MustPutAsync("svc.zz-end", 0, "?env=prod"))["revision"]!.GetValue<long>();

        // Every prod change since, as a watcher on another node sees it: each promote is one
        // revision holding all its keys and carrying its message, and nothing else came between.
        var events = await WatchEventsUntilAsync(cluster[2], $"env=prod&prefix=svc.&fromRevision={before}", "svc.zz-end");
        Assert.Equal(
            [("svc.retries", revision, "promote staging -> prod"), ("svc.timeout", revision, "promote staging -> prod"), ("svc.retries", secondRevision, "release-42"), ("svc.zz-end", end, "")],
            events.Select(static e => (e["key"]!.GetValue<string>(), e["revision"]!.GetValue<long>(), e["message"]?.GetValue<string>() ?? "")));
    }

    // WebSocket watch events (progress marks skipped) up to and including the first event of lastKey.
    private static async Task<List<System.Text.Json.Nodes.JsonNode>> WatchEventsUntilAsync(NodeProcess node, string query, string lastKey)
    {
        using var cts = new CancellationTokenSource(Timeout);
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {NodeProcess.AdminToken}");
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{node.HttpPort}/ws/watch?{query}"), cts.Token);
        var events = new List<System.Text.Json.Nodes.JsonNode>();
        var buffer = new byte[64 * 1024];
        while (events.Count == 0 || events[^1]["key"]!.GetValue<string>() != lastKey)
        {
            var result = await socket.ReceiveAsync(buffer, cts.Token);
            Assert.True(result.MessageType != System.Net.WebSockets.WebSocketMessageType.Close, $"socket closed: {result.CloseStatusDescription}");
            var message = System.Text.Json.Nodes.JsonNode.Parse(System.Text.Encoding.UTF8.GetString(buffer, 0, result.Count))!;
            if (message["type"]!.GetValue<string>() == "event")
                events.Add(message);
        }

        return events;
    }

    [Fact]
    public async Task WatchOnProd_GetsInheritedDefaultChanges_ButNotOverriddenOnes()
    {
        await using var cluster = await TestCluster.StartAsync();
        var http = cluster[0].Http;
        var start = (await http.MustPutAsync("feature.overridden", "prod-value", "?env=prod"))["revision"]!.GetValue<long>();

        using var cts = new CancellationTokenSource(Timeout);
        using var call = new Watch.WatchClient(cluster[2].Grpc).Watch(new WatchRequest { Environment = "prod", Prefix = "feature.", StartRevision = start }, cancellationToken: cts.Token);
        await http.MustPutAsync("feature.overridden", "default-value");
        await http.MustPutAsync("feature.inherited", "default-value");

        KeyValue? first = null;
        while (first is null && await call.ResponseStream.MoveNext(cts.Token))
            first = call.ResponseStream.Current.Events.FirstOrDefault();
        Assert.NotNull(first);
        Assert.Equal("feature.inherited", first.Path.Key);
        Assert.Equal("default", first.Path.Environment);
    }
}
