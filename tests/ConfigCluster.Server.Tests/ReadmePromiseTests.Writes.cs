using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests;

/// <summary>README "Try it": <c>X-Request-Id</c> over HTTP, 503 <c>not-applied</c>, 504 <c>ambiguous</c>, <c>effective=true</c>.</summary>
public sealed partial class ReadmePromiseTests
{
    [Fact]
    public async Task HttpWrites_RetriedWithTheSameXRequestId_AreAppliedOnce_AndAnsweredAsTheFirstTime()
    {
        await using var cluster = await TestCluster.StartAsync(count: 1);
        var http = cluster[0].Http;

        var first = await SendWithIdAsync(http, HttpMethod.Put, "/config/rid.k", "{\"value\": 1}", "put-1");
        var retry = await SendWithIdAsync(http, HttpMethod.Put, "/config/rid.k", "{\"value\": 1}", "put-1");
        var other = await SendWithIdAsync(http, HttpMethod.Put, "/config/rid.k", "{\"value\": 1}", "put-2");
        AssertStatus(HttpStatusCode.OK, first, "first put");
        AssertStatus(HttpStatusCode.OK, retry, "retried put");
        Assert.Equal((1L, first.Body!["revision"]!.GetValue<long>()), (retry.Body!["version"]!.GetValue<long>(), retry.Body["revision"]!.GetValue<long>()));
        Assert.Equal(2, other.Body!["version"]!.GetValue<long>());

        // A retried delete answers like the first time, not 404; a retried compare-and-set, not 409.
        var deleted = await SendWithIdAsync(http, HttpMethod.Delete, "/config/rid.k", null, "del-1");
        var deletedAgain = await SendWithIdAsync(http, HttpMethod.Delete, "/config/rid.k", null, "del-1");
        AssertStatus(HttpStatusCode.OK, deletedAgain, "retried delete");
        Assert.Equal(deleted.Body!["revision"]!.GetValue<long>(), deletedAgain.Body!["revision"]!.GetValue<long>());
        await http.MustPutAsync("rid.cas", "a");
        var cas = await SendWithIdAsync(http, HttpMethod.Put, "/config/rid.cas", "{\"value\": \"b\", \"expectedVersion\": 1}", "cas-1");
        var casAgain = await SendWithIdAsync(http, HttpMethod.Put, "/config/rid.cas", "{\"value\": \"b\", \"expectedVersion\": 1}", "cas-1");
        AssertStatus(HttpStatusCode.OK, casAgain, "retried compare-and-set");
        Assert.Equal(cas.Body!["revision"]!.GetValue<long>(), casAgain.Body!["revision"]!.GetValue<long>());

        Assert.Equal([1L, 2, 3], Versions((await http.GetJsonAsync("/config/history/rid.k")).Body));
        Assert.Equal([1L, 2], Versions((await http.GetJsonAsync("/config/history/rid.cas")).Body));
    }

    [Fact]
    public async Task Write_OnANodeThatSeesNoLeader_Is503NotApplied_AndIsNeverApplied()
    {
        await using var cluster = await TestCluster.StartAsync(count: 3);
        var leader = await cluster.WaitForLeaderAsync(TestCluster.StartTimeout);
        var survivor = (leader + 1) % 3;
        var others = Enumerable.Range(0, 3).Where(i => i != survivor).ToList();
        // One member of three can neither reach a leader nor become one.
        foreach (var i in others)
            await cluster.KillNodeAsync(i);
        await Eventually.WaitAsync(async () => (await TestCluster.StatusAsync(cluster[survivor]))["leaderId"] is null, Timeout, "the survivor to see no leader");

        var (status, body) = await cluster[survivor].Http.PutValueAsync("na.k", 1);

        AssertStatus(HttpStatusCode.ServiceUnavailable, (status, body), "a write without a leader");
        Assert.Equal("not-applied", body!["outcome"]!.GetValue<string>());
        foreach (var i in others)
            await cluster.StartNodeAsync(i);
        await cluster.WaitForLeaderAsync(TestCluster.StartTimeout);
        await cluster.WaitForConvergenceAsync(Timeout);
        AssertStatus(HttpStatusCode.NotFound, await cluster[survivor].Http.GetJsonAsync("/config/na.k"), "the write answered not-applied");
    }

    [Fact]
    public async Task Write_WhoseEntryCannotCommit_Is504Ambiguous_AndARetryWithItsRequestIdAppliesItOnce()
    {
        // A long election timeout: the leader keeps leading (and appending) for a while after its
        // followers stop answering, so the write below enters its log and then cannot commit.
        await using var cluster = await TestCluster.StartAsync(count: 3, arguments: ["--election-timeout", "3s", "--write-timeout", "1500ms"]);
        var leader = await cluster.WaitForLeaderAsync(TestCluster.StartTimeout);
        var followers = Enumerable.Range(0, 3).Where(i => i != leader).ToList();
        (HttpStatusCode Status, JsonNode? Body) answer;
        try
        {
            foreach (var i in followers)
                await SignalAsync(cluster[i], "STOP");
            answer = await SendWithIdAsync(cluster[leader].Http, HttpMethod.Put, "/config/amb.k", "{\"value\": 1}", "amb-1");
        }
        finally
        {
            foreach (var i in followers)
                await SignalAsync(cluster[i], "CONT");
        }

        AssertStatus(HttpStatusCode.GatewayTimeout, answer, "a write that entered the log but could not commit");
        Assert.Equal("ambiguous", answer.Body!["outcome"]!.GetValue<string>());

        // Whether or not that entry survived, the same request id makes it exactly one version.
        var any = cluster[await cluster.WaitForLeaderAsync(TestCluster.StartTimeout)];
        (HttpStatusCode Status, JsonNode? Body) retry = default;
        await Eventually.WaitAsync(async () =>
        {
            retry = await SendWithIdAsync(any.Http, HttpMethod.Put, "/config/amb.k", "{\"value\": 1}", "amb-1");
            return retry.Status == HttpStatusCode.OK;
        }, Timeout, "the retry to be answered");
        Assert.Equal(1, retry.Body!["version"]!.GetValue<long>());
        Assert.Equal([1L], Versions((await any.Http.GetJsonAsync("/config/history/amb.k")).Body));
    }

    [Fact]
    public async Task EffectiveList_OverHttp_NamesEachKeysSource_FollowsTheChain_AndLeavesOutMaskedKeys()
    {
        await using var cluster = await TestCluster.StartAsync(count: 1);
        var http = cluster[0].Http;
        AssertStatus(HttpStatusCode.OK, await http.PutJsonAsync("/environments/prod", "{\"inherits\": \"staging\"}"), "prod inherits staging");
        foreach (var (key, value) in new[] { ("app.a", 1), ("app.b", 2), ("app.c", 3), ("app.d", 4), ("other.x", 9) })
            await http.MustPutAsync(key, value);
        await http.MustPutAsync("app.b", 20, "?env=staging");
        await http.MustPutAsync("app.a", 100, "?env=prod");
        await http.MustPutAsync("app.d", 40, "?env=prod");
        AssertStatus(HttpStatusCode.OK, await http.SendAsync(HttpMethod.Delete, "/config/app.d?env=prod"), "delete prod's override");
        AssertStatus(HttpStatusCode.OK, await http.SendAsync(HttpMethod.Delete, "/config/app.c?env=prod&mask=true"), "mask app.c in prod");

        var (status, effective) = await http.GetJsonAsync("/config?env=prod&effective=true&prefix=app.");

        AssertStatus(HttpStatusCode.OK, (status, effective), "effective list");
        var items = effective!["items"]!.AsArray().Select(static i => (i!["key"]!.GetValue<string>(), i["value"]!.GetValue<int>(), i["source"]!.GetValue<string>()));
        Assert.Equal([("app.a", 100, "prod"), ("app.b", 20, "staging"), ("app.d", 4, "default")], items);
        // Without effective=true, prod's list is its own keys only.
        var (_, own) = await http.GetJsonAsync("/config?env=prod&prefix=app.");
        Assert.Equal(["app.a"], own!["items"]!.AsArray().Select(static i => i!["key"]!.GetValue<string>()));
    }

    private static async Task<(HttpStatusCode Status, JsonNode? Body)> SendWithIdAsync(HttpClient http, HttpMethod method, string path, string? json, string requestId)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-Request-Id", requestId);
        if (json is not null)
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    // SIGSTOP / SIGCONT: a paused process keeps its sockets open but answers nothing.
    private static async Task SignalAsync(NodeProcess node, string signal)
    {
        if (node.ProcessId is not { } pid)
            return;
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }
}
