using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using ConfigCluster.Client;
using ConfigCluster.Contracts.V1;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests.Chaos;

/// <summary>
/// A client that writes the keys of <see cref="Keys"/> together, as one change-set per value,
/// through the faults; then checks atomicity over a node's final histories: every value is on
/// all keys at one revision or on none, and every acknowledged change-set is there. Only an
/// ambiguous or timed-out change-set may be absent; a definite failure must be absent.
/// </summary>
internal sealed class ChangeSetChecker
{
    public static readonly IReadOnlyList<string> Keys = ["set.x", "set.y"];

    private readonly ConcurrentQueue<(string Value, Outcome Outcome, string? Error)> submitted = new();

    public int Acknowledged => submitted.Count(static s => s.Outcome == Outcome.Ok);

    /// <summary>Submits change-sets until <paramref name="stop"/>.</summary>
    public async Task RunAsync(ConfigClusterClient client, CancellationToken stop)
    {
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var value = $"\"cs-{n}\"";
            var items = Keys.Select(k => new ChangeSetItem { Path = new KeyPath { Key = k }, ValueJson = value });
            try
            {
                // Not cancelled by the stop (as the recorder's calls): every call ends with its own outcome.
                await client.ApplyChangeSetAsync(items, $"chaos change-set {n}");
                submitted.Enqueue((value, Outcome.Ok, null));
            }
            catch (Exception e) when (ChaosRecorder.Classify(e) is { } failure)
            {
                submitted.Enqueue((value, failure.Outcome, failure.Error));
            }
        }
    }

    /// <summary>One problem per line; none when every change-set is atomic and none acknowledged is missing.</summary>
    public async Task<List<string>> CheckAsync(NodeProcess node)
    {
        var revisionsByKey = new Dictionary<string, Dictionary<string, long>>();
        foreach (var key in Keys)
        {
            var (status, body) = await node.Http.GetJsonAsync($"/config/history/{key}");
            var map = new Dictionary<string, long>(StringComparer.Ordinal);
            if (status != System.Net.HttpStatusCode.NotFound)
            {
                foreach (var version in body!["versions"]!.AsArray())
                    map[version!["value"]!.ToJsonString()] = version["revision"]!.GetValue<long>();
            }

            revisionsByKey[key] = map;
        }

        var problems = new List<string>();
        foreach (var (value, outcome, error) in submitted)
        {
            var text = JsonNode.Parse(value)!.ToJsonString();
            var found = Keys.Select(k => revisionsByKey[k].TryGetValue(text, out var r) ? r : (long?)null).ToList();
            var present = found.Count(static r => r is not null);
            if (present != 0 && (present != Keys.Count || found.Distinct().Count() != 1))
                problems.Add($"change-set {text} is not atomic: revisions {string.Join(", ", Keys.Zip(found, static (k, r) => $"{k}={r?.ToString() ?? "absent"}"))}");
            else if (present == 0 && outcome == Outcome.Ok)
                problems.Add($"change-set {text} was acknowledged but is on no key");
            else if (present != 0 && outcome == Outcome.Failed)
                problems.Add($"change-set {text} failed definitely ({error}) but was applied");
        }

        return problems;
    }
}
