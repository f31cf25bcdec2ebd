using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests.Faces;

/// <summary>One three-node cluster shared by the Consul face's tests.</summary>
public sealed class ConsulFaceCluster : IAsyncLifetime
{
    internal TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await TestCluster.StartAsync();

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>
/// The Consul KV face (<c>/v1/kv</c>, <c>/v1/txn</c>) driven by the unchanged npm <c>consul</c>
/// client against a follower, and its answers to bad input checked directly.
/// </summary>
public sealed class ConsulFaceTests(ConsulFaceCluster fixture) : IClassFixture<ConsulFaceCluster>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task NpmConsulClient_SetGetKeysRecurseCasDeleteTxnAndBlockingGet_AgainstFollower()
    {
        var follower = fixture.Cluster[await fixture.Cluster.FollowerAsync()];
        var (exitCode, output) = await NodeClients.RunAsync("consul-kv.js", new Dictionary<string, string>
        {
            ["CC_HOST"] = follower.Host,
            ["CC_PORT"] = follower.HttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CC_TOKEN"] = NodeProcess.AdminToken,
            ["CC_PREFIX"] = "npm",
        }, Timeout);
        Assert.True(exitCode == 0, output);
        Assert.Contains("consul client: OK", output);
    }

    [Fact]
    public async Task RawValue_ShowsInConfigClusterGet_AsStringOrBase64()
    {
        var http = fixture.Cluster[0].Http;
        using (var put = await http.PutAsync("/v1/kv/shown/text", new ByteArrayContent(Encoding.UTF8.GetBytes("plain text"))))
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        using (var put = await http.PutAsync("/v1/kv/shown/binary?flags=7", new ByteArrayContent([0xff, 0xfe, 0x00])))
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        // ConfigCluster's own listing (and GET) shows a raw value as a string when it is UTF-8, else as {"base64": ...}.
        var (status, list) = await http.GetJsonAsync("/config?ns=consul&prefix=shown/");
        Assert.Equal(HttpStatusCode.OK, status);
        var items = list!["items"]!.AsArray();
        var text = items.Single(static i => i!["key"]!.GetValue<string>() == "shown/text")!;
        Assert.Equal("plain text", text["value"]!.GetValue<string>());
        Assert.Equal("bytes", text["valueType"]!.GetValue<string>());
        var binary = items.Single(static i => i!["key"]!.GetValue<string>() == "shown/binary")!;
        Assert.Equal(Convert.ToBase64String([0xff, 0xfe, 0x00]), binary["value"]!["base64"]!.GetValue<string>());

        // A ConfigCluster JSON value in the consul namespace reads back through Consul as its JSON text.
        await http.MustPutAsync("json.value", 5, "?ns=consul");
        using var raw = await http.GetAsync("/v1/kv/json.value?raw");
        Assert.Equal("5", await raw.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task BadInput_GetsConsulsCodeAndShape_AndChangesNothing()
    {
        var http = fixture.Cluster[1].Http;
        using (var put = await http.PutAsync("/v1/kv/bad/kept", new StringContent("v1")))
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var before = await EntryAsync(http, "bad/kept");

        foreach (var (method, path, body) in new (string, string, string?)[]
        {
            ("PUT", "/v1/kv/bad/folder/", "x"),          // folders are not stored
            ("PUT", "/v1/kv/bad/sp ace", "x"),          // outside the key alphabet
            ("PUT", "/v1/kv/bad/kept?cas=abc", "x"),
            ("PUT", "/v1/kv/bad/kept?flags=-1", "x"),
            ("PUT", "/v1/kv/bad/kept?acquire=session", "x"),
            ("GET", "/v1/kv/bad/kept?index=x", null),
            ("PUT", "/v1/txn", "{not json"),
            ("PUT", "/v1/txn", "[{\"KV\": {\"Verb\": \"set\", \"Key\": \"bad/kept\", \"Value\": \"%%%\"}}]"),
            ("PUT", "/v1/txn", "[{\"KV\": {\"Verb\": \"frobnicate\", \"Key\": \"bad/kept\"}}]"),
            ("PUT", "/v1/txn", "[{\"Node\": {\"Verb\": \"get\"}}]"),
        })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = body is null ? null : new StringContent(body) };
            using var response = await http.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{method} {path}: {(int)response.StatusCode}");
            Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType ?? "", StringComparison.Ordinal);
        }

        // A stale cas answers false; a failed transaction answers 409 in Consul's shape.
        using (var stale = await http.PutAsync($"/v1/kv/bad/kept?cas={before["ModifyIndex"]!.GetValue<long>() + 1000}", new StringContent("lost")))
            Assert.Equal("false", await stale.Content.ReadAsStringAsync());
        using (var txn = await http.PutAsync("/v1/txn", new StringContent("[{\"KV\": {\"Verb\": \"set\", \"Key\": \"bad/other\", \"Value\": \"eA==\"}}, {\"KV\": {\"Verb\": \"check-index\", \"Key\": \"bad/kept\", \"Index\": 999999}}]")))
        {
            Assert.Equal(HttpStatusCode.Conflict, txn.StatusCode);
            var answer = JsonNode.Parse(await txn.Content.ReadAsStringAsync())!;
            Assert.Null(answer["Results"]);
            Assert.Equal(1, answer["Errors"]![0]!["OpIndex"]!.GetValue<int>());
        }

        using (var missing = await http.GetAsync("/v1/kv/bad/other"))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Equal("", await missing.Content.ReadAsStringAsync());
            Assert.True(missing.Headers.Contains("X-Consul-Index"));
        }

        var after = await EntryAsync(http, "bad/kept");
        Assert.Equal(before.ToJsonString(), after.ToJsonString());
    }

    [Fact]
    public async Task Access_ConsulShapes_AndQueryToken()
    {
        var http = fixture.Cluster[0].Http;
        var reader = await fixture.Cluster.CreateTokenAsync("consul-reader", new TestRule("open/*", "*", "read"));
        using (var put = await http.PutAsync("/v1/kv/open/a", new StringContent("A")))
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        using var anonymous = new HttpClient { BaseAddress = new Uri(fixture.Cluster[2].HttpUrl) };
        using (var denied = await anonymous.PutAsync($"/v1/kv/open/a?token={reader}", new StringContent("B")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
            Assert.Equal("Permission denied", await denied.Content.ReadAsStringAsync());
        }

        using (var allowed = await anonymous.GetAsync($"/v1/kv/open/a?raw&token={reader}"))
            Assert.Equal("A", await allowed.Content.ReadAsStringAsync());
        using (var header = new HttpRequestMessage(HttpMethod.Get, "/v1/kv/open/a?raw"))
        {
            header.Headers.Add("X-Consul-Token", reader);
            using var response = await anonymous.SendAsync(header);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var unknown = await anonymous.GetAsync("/v1/kv/open/a?token=nosuchtoken"))
            Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        // ?token= is read only by the faces that declare it, never by ConfigCluster's own routes.
        using (var own = await anonymous.GetAsync($"/config/open/a?ns=consul&token={reader}"))
            Assert.Equal(HttpStatusCode.Unauthorized, own.StatusCode);
    }

    [Fact]
    public async Task BlockingGet_WaitsForTheIndexToPass_AndWakesOnAWriteThroughAnotherNode()
    {
        var follower = fixture.Cluster[await fixture.Cluster.FollowerAsync()].Http;
        var other = fixture.Cluster[(await fixture.Cluster.FollowerAsync() + 1) % 3].Http;
        using (var put = await other.PutAsync("/v1/kv/blocking/key", new StringContent("v1")))
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        using var first = await follower.GetAsync("/v1/kv/blocking/key");
        var index = long.Parse(first.Headers.GetValues("X-Consul-Index").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("true", first.Headers.GetValues("X-Consul-KnownLeader").Single());

        // Nothing changes: the query holds until its wait runs out, then answers with the same index.
        var started = System.Diagnostics.Stopwatch.StartNew();
        using (var idle = await follower.GetAsync($"/v1/kv/blocking/key?index={index}&wait=1s"))
        {
            Assert.True(started.Elapsed >= TimeSpan.FromMilliseconds(900), $"answered after {started.ElapsedMilliseconds} ms");
            Assert.Equal(index.ToString(System.Globalization.CultureInfo.InvariantCulture), idle.Headers.GetValues("X-Consul-Index").Single());
        }

        // A write through another node wakes it with the new value and a higher index.
        var blocked = follower.GetAsync($"/v1/kv/blocking/key?index={index}&wait=60s&raw");
        // A negative check: for 300 ms (far longer than a read takes) the query must still be held.
        Assert.NotSame(blocked, await Task.WhenAny(blocked, Task.Delay(TimeSpan.FromMilliseconds(300))));
        using (var put = await other.PutAsync("/v1/kv/blocking/key", new StringContent("v2")))
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        using var woken = await blocked.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("v2", await woken.Content.ReadAsStringAsync());
        Assert.True(long.Parse(woken.Headers.GetValues("X-Consul-Index").Single(), System.Globalization.CultureInfo.InvariantCulture) > index);
    }

    private static async Task<JsonNode> EntryAsync(HttpClient http, string key)
    {
        using var response = await http.GetAsync($"/v1/kv/{key}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())![0]!;
    }
}
