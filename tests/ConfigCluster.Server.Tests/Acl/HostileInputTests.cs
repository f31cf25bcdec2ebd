using System.Net;
using System.Text;
using System.Text.Json;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests.Acl;

/// <summary>
/// Hostile input on every route that takes any, sent with the admin token (so it reaches the
/// route): each is answered 4xx with a message, never 5xx, and changes nothing (the cluster
/// revision stays where it was).
/// </summary>
[Collection(AccessClusterCollection.Name)]
public sealed class HostileInputTests(AccessCluster fixture)
{
    private static readonly string LongKey = new('k', 5000);

    // Keys no route may accept: empty segments, traversal, spaces, NUL, far too long. A bare ".."
    // path segment is not among them: by RFC 3986 it names the parent path, which the client and
    // Kestrel resolve before routing; ".." is tried in bodies and query parameters instead.
    private static readonly string[] BadKeys = ["a..b", ".lead", "trail.", "..%2Fetc", "bad key", "semi;colon", "nul%00byte", "slash%2F%2Fkey", "%2Flead", LongKey];

    private static IEnumerable<(string Method, string Path, string? Body)> Cases()
    {
        foreach (var key in BadKeys)
        {
            yield return ("GET", $"/config/{key}", null);
            yield return ("PUT", $"/config/{key}", "{\"value\": 1}");
            yield return ("DELETE", $"/config/{key}", null);
            yield return ("GET", $"/config/history/{key}", null);
            yield return ("POST", $"/config/rollback/{key}?version=1", null);
            yield return ("GET", $"/ws/watch?key={key}", null);
            yield return ("POST", "/changesets", $"{{\"items\": [{{\"op\": \"put\", \"key\": {JsonSerializer.Serialize(Uri.UnescapeDataString(key))}, \"value\": 1}}]}}");
        }

        yield return ("POST", "/changesets", "{\"items\": [{\"op\": \"put\", \"key\": \"..\", \"value\": 1}]}");
        yield return ("GET", "/ws/watch?key=..", null);
        yield return ("GET", "/ws/watch?prefix=..", null);
        yield return ("POST", "/promote?from=default&to=hx-a&keys=..", null);

        foreach (var scope in new[] { "ns=..", "env=..", $"ns={LongKey}", "env=nul%00env", "ns=bad%20ns" })
        {
            yield return ("GET", $"/config/hx.k?{scope}", null);
            yield return ("PUT", $"/config/hx.k?{scope}", "{\"value\": 1}");
            yield return ("GET", $"/config?{scope}", null);
        }

        foreach (var version in new[] { "-1", "abc", "0x10", "99999999999999999999", "1.5" })
        {
            yield return ("GET", $"/config/hx.k?version={version}", null);
            yield return ("POST", $"/config/rollback/hx.k?version={version}", null);
            yield return ("DELETE", $"/config/hx.k?expectedVersion={version}", null);
            yield return ("GET", $"/config?limit={version}", null);
            yield return ("GET", $"/ws/watch?prefix=hx&fromRevision={version}", null);
            yield return ("POST", $"/admin/keys/rewrap?batch={version}", null);
        }

        yield return ("GET", "/config/hx.k?consistency=eventual", null);
        yield return ("GET", "/config/hx.k?wait=forever&index=1", null);
        yield return ("GET", "/config?prefix=..", null);
        yield return ("GET", $"/config?prefix={LongKey}", null);
        yield return ("POST", "/config/rollback/hx.k", null);

        foreach (var body in new[] { "", "not json", "{", "[]", "42", "{}", "{\"value\": 1, \"secret\": \"yes\"}", "{\"value\": 1, \"expectedVersion\": -3}", "{\"value\": 1, \"expectedVersion\": \"two\"}", "{\"value\": 1, \"expectedVersion\": 1.5}" })
            yield return ("PUT", "/config/hx.k", body);

        foreach (var body in new[] { "", "not json", "{\"items\": 5}", "{\"items\": [7]}", "{\"items\": [{\"op\": \"explode\", \"key\": \"hx.k\", \"value\": 1}]}",
            "{\"items\": [{\"op\": 5, \"key\": \"hx.k\", \"value\": 1}]}", "{\"items\": [{\"op\": \"put\", \"value\": 1}]}", "{\"items\": [{\"op\": \"put\", \"key\": \"hx.k\"}]}",
            "{\"items\": [{\"op\": \"put\", \"key\": \"hx.k\", \"value\": 1, \"expectedVersion\": -1}]}", "{\"items\": [{\"op\": \"put\", \"key\": \"hx.k\", \"value\": 1, \"environment\": \"..\"}]}",
            "{\"items\": [{\"op\": \"put\", \"key\": 12, \"value\": 1}]}", "{\"items\": [{\"op\": \"put\", \"key\": \"hx.k\", \"value\": 1}, {\"op\": \"put\", \"key\": \"..\", \"value\": 2}]}" })
            yield return ("POST", "/changesets", body);

        yield return ("PUT", "/environments/hx-b", "{\"inherits\": \"hx-a\"}"); // hx-a inherits hx-b already: a cycle
        yield return ("PUT", "/environments/hx-c", "{\"inherits\": \"hx-c\"}");
        yield return ("PUT", "/environments/hx-d", "{\"inherits\": \"..\"}");
        yield return ("PUT", "/environments/hx-d", "{\"inherits\": 5}");
        yield return ("PUT", "/environments/hx-d", "{\"inherits\": \"bad env\"}");
        yield return ("PUT", "/environments/hx-d", "not json");
        yield return ("GET", "/environments/hx-d?ns=..", null);
        yield return ("GET", "/diff", null);
        yield return ("GET", "/diff?from=..&to=default", null);
        yield return ("GET", $"/diff?from=default&to=hx-a&prefix={LongKey}", null);
        yield return ("POST", "/promote", null);
        yield return ("POST", "/promote?from=..&to=default", null);
        yield return ("POST", "/promote?from=default&to=nul%00env", null);

        foreach (var body in new[] { "", "not json", "{\"name\": 5}", "{\"name\": \"x\", \"ttl\": \"forever\"}", "{\"name\": \"x\", \"policies\": \"root\"}", "{\"name\": \"x\", \"policies\": [5]}", "{\"name\": \"\"}", "{\"name\": \"nul\\u0000name\"}" })
            yield return ("POST", "/acl/tokens", body);
        foreach (var body in new[] { "", "not json", "{\"rules\": 5}", "{\"rules\": [5]}", "{\"rules\": [{\"path\": \"x.*\", \"capabilities\": [\"fly\"]}]}", "{\"rules\": [{\"path\": 5, \"capabilities\": [\"read\"]}]}", "{\"rules\": [{\"path\": \"x.*\", \"capabilities\": [5]}]}" })
            yield return ("PUT", "/acl/policies/hx-policy", body);
        yield return ("PUT", "/acl/policies/nul%00policy", "{\"rules\": []}");
        yield return ("DELETE", "/acl/tokens/nosuchaccessor", null);
        yield return ("GET", "/audit?since=yesterday", null);

        yield return ("GET", "/namespaces/bad%20ns/retention", null);
        yield return ("PUT", "/namespaces/hx/retention", "not json");
        yield return ("PUT", "/namespaces/hx/retention", "{\"maxVersions\": \"ten\"}");
        yield return ("PUT", "/namespaces/hx/retention", "{\"maxVersions\": -1}");
        yield return ("PUT", "/namespaces/hx/retention", "{\"maxAge\": \"forever\"}");
        yield return ("PUT", $"/namespaces/{LongKey}/retention", "{\"maxVersions\": 1}");
        yield return ("POST", "/namespaces/bad%20ns/compact", null);
        yield return ("POST", "/cluster/leader/transfer?to=nosuchnode", null);
        yield return ("POST", "/cluster/members", "not json");
        yield return ("POST", "/cluster/members", "{\"raft\": 5}");
        yield return ("POST", "/cluster/members", "{\"raft\": \"not an endpoint\"}");
        yield return ("DELETE", "/cluster/members/nosuchnode", null);
    }

    [Fact]
    public async Task HostileInput_OnEveryRoute_Gets4xxWithAMessage_AndWritesNothing()
    {
        // Sent to a follower (writes are forwarded); the revision is read on the leader, which
        // has applied a write before any node answers it.
        var leader = fixture.Cluster[await fixture.Cluster.WaitForLeaderAsync(TestCluster.StartTimeout)];
        var admin = fixture.Cluster.Nodes.First(n => n != leader).Http;
        Assert.Equal(HttpStatusCode.OK, (await admin.SendAsync(HttpMethod.Put, "/environments/hx-a", "{\"inherits\": \"hx-b\"}")).Status);
        await admin.MustPutAsync("hx.k", 1);

        var failures = new List<string>();
        var count = 0;
        foreach (var (method, path, body) in Cases())
        {
            var before = await RevisionAsync(leader);
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (body is not null)
                request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            using var response = await admin.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            var code = (int)response.StatusCode;
            var what = $"{method} {Shorten(path)} {Shorten(body ?? "")}";
            if (code is < 400 or >= 500)
                failures.Add($"{what}: {code} {Shorten(text)}");
            // Kestrel itself refuses a NUL in the path (400, empty body) before any route runs.
            else if (!HasMessage(text) && !(code == 400 && path.Contains("%00", StringComparison.Ordinal)))
                failures.Add($"{what}: {code} without an error message ({Shorten(text)})");
            if (await RevisionAsync(leader) != before)
                failures.Add($"{what}: the revision moved from {before}");
            count++;
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {count} hostile requests misbehaved:\n" + string.Join('\n', failures));
    }

    private static async Task<long> RevisionAsync(NodeProcess node)
        => (await TestCluster.StatusAsync(node))["revision"]!.GetValue<long>();

    private static bool HasMessage(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String && error.GetString()!.Length > 0;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string Shorten(string text) => text.Length > 80 ? text[..60] + $"…({text.Length} chars)" : text;
}
