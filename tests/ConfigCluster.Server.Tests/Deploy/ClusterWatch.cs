using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace ConfigCluster.Server.Tests.Deploy;

/// <summary>One answer (or non-answer) of a node's <c>/cluster/status</c>, stamped when it was asked.</summary>
internal sealed record StatusSample(TimeSpan At, string Node, bool Answered, string? Role, string? LeaderId, long Term);

/// <summary>A write the cluster acknowledged (200): it must survive anything that follows.</summary>
internal sealed record AckedWrite(TimeSpan At, string Node, string Key, string Value);

/// <summary>
/// Runs beside the README's demo while it kills the leader: a writer that PUTs a new key through
/// each node in turn (every 25 ms) and records the acknowledged ones, and a monitor that asks
/// each node's <c>/cluster/status</c> every 100 ms (1 s timeout). Times are from one stopwatch.
/// </summary>
internal sealed class ClusterWatch : IAsyncDisposable
{
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly Dictionary<string, HttpClient> clients;
    private readonly CancellationTokenSource stop = new();
    private readonly List<AckedWrite> acked = [];
    private readonly List<(TimeSpan At, string Node)> failed = [];
    private readonly List<StatusSample> samples = [];
    private Task? loops;

    public ClusterWatch(IReadOnlyDictionary<string, int> httpPorts, string token, string caFile)
    {
        clients = httpPorts.ToDictionary(static p => p.Key, p =>
        {
            var http = ClusterCa.Client(caFile, p.Value, TimeSpan.FromSeconds(2));
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return http;
        });
    }

    public TimeSpan Now => clock.Elapsed;

    public IReadOnlyList<AckedWrite> Acked { get { lock (acked) return [.. acked]; } }

    public IReadOnlyList<(TimeSpan At, string Node)> Failed { get { lock (failed) return [.. failed]; } }

    public IReadOnlyList<StatusSample> Samples { get { lock (samples) return [.. samples]; } }

    public void Start() => loops = Task.WhenAll(WriteLoopAsync(stop.Token), MonitorLoopAsync(stop.Token));

    public async Task StopAsync()
    {
        await stop.CancelAsync();
        if (loops is not null)
            await loops;
    }

    private async Task WriteLoopAsync(CancellationToken token)
    {
        var nodes = clients.Keys.Order(StringComparer.Ordinal).ToArray();
        for (var i = 0; !token.IsCancellationRequested; i++)
        {
            var node = nodes[i % nodes.Length];
            var key = $"load.w{i:D6}";
            var value = $"written via {node} as write {i}";
            var json = new JsonObject { ["value"] = value }.ToJsonString();
            try
            {
                using var answer = await clients[node].PutAsync($"/config/{key}", new StringContent(json, Encoding.UTF8, "application/json"), token);
                if (answer.StatusCode == HttpStatusCode.OK)
                {
                    lock (acked)
                        acked.Add(new AckedWrite(Now, node, key, value));
                }
                else
                {
                    lock (failed)
                        failed.Add((Now, node));
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                if (token.IsCancellationRequested)
                    return;
                lock (failed)
                    failed.Add((Now, node));
            }

            await Delay(TimeSpan.FromMilliseconds(25), token);
        }
    }

    // One loop per node, so a node that does not answer (1 s timeout) never delays the others' samples.
    private Task MonitorLoopAsync(CancellationToken token)
        => Task.WhenAll(clients.Select(async c =>
        {
            while (!token.IsCancellationRequested)
            {
                var sample = await StatusAsync(c.Key, c.Value, token);
                lock (samples)
                    samples.Add(sample);
                await Delay(TimeSpan.FromMilliseconds(100), token);
            }
        }));

    // Stamped when the request is sent: an unanswered poll (refused, or 1 s without an answer) then
    // tells the node was already gone at that moment.
    private async Task<StatusSample> StatusAsync(string node, HttpClient http, CancellationToken token)
    {
        var sent = Now;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/cluster/status");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(TimeSpan.FromSeconds(1));
            using var answer = await http.SendAsync(request, timeout.Token);
            var body = JsonNode.Parse(await answer.Content.ReadAsStringAsync(timeout.Token));
            return new StatusSample(sent, node, answer.IsSuccessStatusCode, (string?)body?["role"], (string?)body?["leaderId"], (long?)body?["term"] ?? 0);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            return new StatusSample(sent, node, false, null, null, 0);
        }
    }

    private static async Task Delay(TimeSpan delay, CancellationToken token)
    {
        try
        {
            await Task.Delay(delay, token);
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        stop.Dispose();
        foreach (var http in clients.Values)
            http.Dispose();
    }
}
