using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests.Deploy;

/// <summary>What the status monitor saw around the kill: times from the watch's stopwatch.</summary>
internal sealed record LeaderOutage(string Leader, TimeSpan LastAnswer, TimeSpan KillSeen, StatusSample NewLeader, TimeSpan Back, TimeSpan FirstWriteAfter)
{
    /// <summary>From the first status poll the killed leader did not answer to the first a survivor answered as leader.</summary>
    public TimeSpan Election => NewLeader.At - KillSeen;

    public string Describe()
        => string.Create(CultureInfo.InvariantCulture,
            $"killed leader {Leader}: last answered at {LastAnswer.TotalSeconds:0.00} s, first unanswered poll at {KillSeen.TotalSeconds:0.00} s; "
            + $"{NewLeader.Node} answered as leader (term {NewLeader.Term}) at {NewLeader.At.TotalSeconds:0.00} s: new leader {Election.TotalSeconds:0.00} s after "
            + $"the kill was seen ({(NewLeader.At - LastAnswer).TotalSeconds:0.00} s after the last answer); first acknowledged write after the kill at "
            + $"+{(FirstWriteAfter - KillSeen).TotalSeconds:0.00} s; {Leader} answered again at {Back.TotalSeconds:0.00} s");
}

public sealed partial class ComposeClusterTests
{
    // The kill is placed between the killed leader's last answered poll before a survivor first
    // answered as leader and its first unanswered poll after that (so a poll that timed out under
    // load before the kill does not count as the kill).
    private static LeaderOutage Outage(IReadOnlyList<StatusSample> samples, IReadOnlyList<AckedWrite> acked, string leader, TimeSpan from)
    {
        var after = samples.Where(s => s.At >= from).OrderBy(static s => s.At).ToList();
        var newLeader = after.FirstOrDefault(s => s.Node != leader && s.Answered && s.Role == "leader")
            ?? throw new Xunit.Sdk.XunitException($"no survivor ever answered as leader after {leader} was killed");
        var lastAnswer = after.LastOrDefault(s => s.Node == leader && s.Answered && s.At < newLeader.At)?.At ?? from;
        var killSeen = after.FirstOrDefault(s => s.Node == leader && !s.Answered && s.At > lastAnswer)?.At
            ?? throw new Xunit.Sdk.XunitException($"the status monitor never saw {leader} stop answering");
        var back = after.FirstOrDefault(s => s.At > killSeen && s.Node == leader && s.Answered)?.At ?? TimeSpan.MaxValue;
        var firstWrite = acked.FirstOrDefault(w => w.At > killSeen)?.At ?? TimeSpan.MaxValue;
        return new LeaderOutage(leader, lastAnswer, killSeen, newLeader, back, firstWrite);
    }

    /// <summary>Every acknowledged write, with its value, in <paramref name="node"/>'s own copy (serializable reads).</summary>
    private async Task AllAcknowledgedOnAsync(string node, IReadOnlyList<AckedWrite> acked, string token)
    {
        using var http = Client(node, token);
        var missing = "not read yet";
        try
        {
            await Eventually.WaitAsync(async () =>
            {
                var stored = await ListAsync(http, "load.");
                var lost = acked.Where(w => !stored.TryGetValue(w.Key, out var value) || value != w.Value).ToList();
                missing = $"{lost.Count} of {acked.Count} missing or different, first {string.Join(", ", lost.Take(5).Select(static w => w.Key))}";
                return lost.Count == 0;
            }, TimeSpan.FromSeconds(90), $"every acknowledged write on {node}");
        }
        catch (TimeoutException e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}; last look: {missing}");
        }

        output.WriteLine($"{node}: all {acked.Count} acknowledged writes present, with their values");
    }

    /// <summary>What the README's blocks wrote, on every node's own copy.</summary>
    private async Task ReadmeWritesOnEveryNodeAsync(string token, string leader, string[] survivors)
    {
        foreach (var node in Nodes)
        {
            using var http = Client(node, token);
            var (status, color) = await http.GetJsonAsync("/config/app.color?consistency=serializable");
            Assert.True(status == HttpStatusCode.OK && (string?)color?["value"] == "blue", $"{node}: app.color answered {(int)status} {color?["value"]}");
            var (_, name) = await http.GetJsonAsync("/config/app.name?consistency=serializable");
            Assert.Equal($"written via {survivors[^1]} while {leader} is down", (string?)name?["value"]);
            var (_, history) = await http.GetJsonAsync("/config/history/app.name?consistency=serializable");
            Assert.Equal(3, history?["versions"]?.AsArray().Count);   // "demo", then one write through each survivor
            var (secretStatus, secret) = await http.GetJsonAsync("/config/db.password?consistency=serializable");
            Assert.True(secretStatus == HttpStatusCode.OK && (bool?)secret?["secret"] == true, $"{node}: db.password answered {(int)secretStatus}, secret {secret?["secret"]}");
        }
    }

    /// <summary>
    /// TLS by default: every node's published HTTP port answers HTTPS with a certificate from the
    /// cluster's CA naming the host, and nothing in plain HTTP; a client that trusts only the
    /// system's roots is refused.
    /// </summary>
    private async Task OnlyTlsAsync()
    {
        foreach (var node in Nodes)
        {
            using (var trusting = ClusterCa.Client(ClusterCa.File(root), httpPorts[node], TimeSpan.FromSeconds(10)))
            {
                using var live = await trusting.GetAsync("/health/live");
                Assert.True(live.IsSuccessStatusCode, $"{node}: https /health/live answered {(int)live.StatusCode}");
            }

            using var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var plainAnswer = await Record.ExceptionAsync(async () =>
            {
                using var response = await plain.GetAsync($"http://127.0.0.1:{httpPorts[node]}/health/live");
                Assert.Fail($"{node}: plain HTTP was answered ({(int)response.StatusCode})");
            });
            Assert.IsType<HttpRequestException>(plainAnswer);
            var untrusted = await Record.ExceptionAsync(() => plain.GetAsync($"https://127.0.0.1:{httpPorts[node]}/health/live"));
            Assert.True(untrusted is HttpRequestException { InnerException: System.Security.Authentication.AuthenticationException },
                $"{node}: a client without the cluster's CA was not refused in the handshake: {untrusted}");
        }

        output.WriteLine("every node: HTTPS with the cluster's CA, no plain HTTP, refused without the CA");
    }

    private static async Task<Dictionary<string, string?>> ListAsync(HttpClient http, string prefix)
    {
        var items = new Dictionary<string, string?>(StringComparer.Ordinal);
        string? page = null;
        do
        {
            var path = $"/config?prefix={prefix}&consistency=serializable&limit=1000" + (page is null ? "" : $"&pageToken={Uri.EscapeDataString(page)}");
            var (status, body) = await http.GetJsonAsync(path);
            if (status != HttpStatusCode.OK)
                throw new InvalidOperationException($"GET {path} answered {(int)status}");
            foreach (var item in body?["items"]?.AsArray() ?? [])
                items[(string)item!["key"]!] = (string?)item["value"];
            page = (string?)body?["nextPageToken"];
        }
        while (page is not null);
        return items;
    }

    private HttpClient Client(string node, string token)
    {
        var http = ClusterCa.Client(ClusterCa.File(root), httpPorts[node], TimeSpan.FromSeconds(10));
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }
}
