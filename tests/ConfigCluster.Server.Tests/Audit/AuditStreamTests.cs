using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ConfigCluster.Contracts.V1;
using ConfigCluster.Server.Tests.Harness;
using Grpc.Core;

namespace ConfigCluster.Server.Tests.Audit;

/// <summary>
/// The audit stream (<c>--audit-sink</c>) received by a listener the test opens: the same lines as
/// the node's audit file, never a secret value or a token; when the listener goes away requests are
/// refused (fail closed, 503 / UNAVAILABLE) until it is back.
/// </summary>
public sealed partial class AuditStreamTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task TcpAuditStream_CarriesTheFilesRecords_AndNoSecretValue()
    {
        using var listener = AuditListener.Tcp(PortAllocator.Next());
        await using var cluster = await TestCluster.StartAsync(count: 1, arguments: ["--audit-sink", listener.SinkOption],
            environment: new Dictionary<string, string> { ["CONFIGCLUSTER_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) });
        var node = cluster[0];
        const string secretValue = "stream-secret-value-7f3a9c";
        await node.Http.MustPutAsync("stream.plain", "plain value");
        var (revealed, body) = await node.Http.PutJsonAsync("/config/stream.sealed", $"{{\"value\": \"{secretValue}\", \"secret\": true}}");
        Assert.Equal(HttpStatusCode.OK, revealed);
        Assert.Equal(secretValue, (await node.Http.GetJsonAsync("/config/stream.sealed")).Body!["value"]!.GetValue<string>());
        var reader = await cluster.CreateTokenAsync("stream-reader", new TestRule("stream.*", "*", "read"));
        using (var client = node.ClientWith(reader))
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetJsonAsync("/config/stream.sealed")).Status);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.GetJsonAsync("/config/other.key")).Status);
        }

        // Every line of the file reaches the stream, in the same order and byte for byte.
        var file = Path.Combine(node.DataDirectory, "audit", "audit.jsonl");
        string[] streamed = [];
        await Eventually.WaitAsync(async () =>
        {
            var lines = await File.ReadAllLinesAsync(file);
            streamed = Lines(listener.Text);
            return streamed.Length >= lines.Length && lines.Length > 0 && streamed.Take(lines.Length).SequenceEqual(lines);
        }, Timeout, "the audit stream to carry every line of the audit file");

        var records = streamed.Select(static line => JsonNode.Parse(line)!).ToList();
        Assert.Contains(records, r => r["operation"]?.GetValue<string>() == "write" && r["key"]?.GetValue<string>() == "stream.sealed" && r["decision"]?.GetValue<string>() == "allow");
        Assert.Contains(records, r => r["tokenName"]?.GetValue<string>() == "stream-reader" && r["key"]?.GetValue<string>() == "other.key" && r["decision"]?.GetValue<string>() == "deny");
        Assert.All(records, r => Assert.False(string.IsNullOrEmpty(r["mac"]?.GetValue<string>())));
        Assert.DoesNotContain(secretValue, listener.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(NodeProcess.AdminToken, listener.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(reader, listener.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnixSyslogAuditStream_ListenerGone_RefusesRequests_AndRecoversWhenItIsBack()
    {
        var path = Path.Combine(Path.GetTempPath(), $"cc-audit-{Guid.NewGuid():N}"[..24] + ".sock");
        var listener = AuditListener.Unix(path);
        try
        {
            await using var cluster = await TestCluster.StartAsync(count: 1, arguments: ["--audit-sink", listener.SinkOption, "--audit-sink-format", "syslog"]);
            var node = cluster[0];
            await node.Http.MustPutAsync("sink.key", 1);

            // RFC 5424 messages, octet-counted: "LEN <110>1 TIME n1 configcluster PID audit - {json}".
            await Eventually.WaitAsync(() => Frames(listener.Text).Any(static m => m.Contains("\"key\":\"sink.key\"", StringComparison.Ordinal)), Timeout, "the write's record on the stream");
            var message = Frames(listener.Text).Last(static m => m.Contains("\"key\":\"sink.key\"", StringComparison.Ordinal));
            Assert.Matches(SyslogHeader(), message);
            Assert.Equal("write", JsonNode.Parse(message[(message.IndexOf(" - ", StringComparison.Ordinal) + 3)..])!["operation"]!.GetValue<string>());

            // The listener goes away: requests are refused, over HTTP and gRPC, and nothing is written.
            listener.Close();
            File.Delete(path);
            await Eventually.WaitAsync(async () => (await node.Http.PutValueAsync("sink.key", 2)).Status == HttpStatusCode.ServiceUnavailable, Timeout, "writes to be refused while the audit stream is down");
            var (status, refusal) = await node.Http.GetJsonAsync("/config/sink.key");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Contains("audit", refusal!["error"]!.GetValue<string>(), StringComparison.Ordinal);
            var kv = new KV.KVClient(node.Grpc);
            var grpcRefused = await Assert.ThrowsAsync<RpcException>(async () => await kv.GetAsync(new GetRequest { Path = new KeyPath { Key = "sink.key" } }));
            Assert.Equal(StatusCode.Unavailable, grpcRefused.StatusCode);
            using (var live = await node.Anonymous.GetAsync("/health/live"))
                Assert.Equal(HttpStatusCode.OK, live.StatusCode);

            // It comes back: the node reconnects and serves again; the refused writes never happened.
            listener = AuditListener.Unix(path);
            await Eventually.WaitAsync(async () => (await node.Http.GetJsonAsync("/config/sink.key")).Status == HttpStatusCode.OK, Timeout, "requests to be served once the audit stream is back");
            Assert.Equal(1, (await node.Http.GetJsonAsync("/config/sink.key")).Body!["value"]!.GetValue<int>());
            var metrics = await node.Http.GetStringAsync("/metrics");
            Assert.Matches(@"configcluster_audit_sink_failures_total\{[^}]*sink=""stream""[^}]*\} [1-9]", metrics);
            Assert.Matches(@"configcluster_audit_sink_up\{[^}]*sink=""stream""[^}]*\} 1", metrics);
            await Eventually.WaitAsync(() => Frames(listener.Text).Any(static m => m.Contains("\"operation\":\"metrics\"", StringComparison.Ordinal)), Timeout, "new records on the new connection");
        }
        finally
        {
            listener.Dispose();
            File.Delete(path);
        }
    }

    [Fact]
    public async Task StdoutAuditStream_WritesEveryLineOfTheFile_BesideJsonLogs()
    {
        await using var cluster = await TestCluster.StartAsync(count: 1, arguments: ["--audit-sink", "stdout", "--log-format", "json"]);
        var node = cluster[0];
        await node.Http.MustPutAsync("stdout.key", 1);
        Assert.Equal(HttpStatusCode.OK, (await node.Http.GetJsonAsync("/config/stdout.key")).Status);

        var file = Path.Combine(node.DataDirectory, "audit", "audit.jsonl");
        await Eventually.WaitAsync(async () =>
        {
            var lines = await File.ReadAllLinesAsync(file);
            var printed = node.Log.Split('\n').ToHashSet(StringComparer.Ordinal);
            return lines.Length > 0 && lines.All(printed.Contains);
        }, Timeout, "every audit line on the node's standard output");
        Assert.All(node.Log.Split('\n', StringSplitOptions.RemoveEmptyEntries), static line => JsonNode.Parse(line));
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    // RFC 6587 octet counting: "LEN SP MESSAGE", back to back; a trailing partial frame is left out.
    private static List<string> Frames(string text)
    {
        var messages = new List<string>();
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        var at = 0;
        while (at < bytes.Length)
        {
            var space = Array.IndexOf(bytes, (byte)' ', at);
            if (space < 0 || !int.TryParse(bytes.AsSpan(at, space - at), out var length) || space + 1 + length > bytes.Length)
                break;
            messages.Add(System.Text.Encoding.UTF8.GetString(bytes, space + 1, length));
            at = space + 1 + length;
        }

        return messages;
    }

    [GeneratedRegex(@"^<110>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z n1 configcluster \d+ audit - \{")]
    private static partial Regex SyslogHeader();
}
