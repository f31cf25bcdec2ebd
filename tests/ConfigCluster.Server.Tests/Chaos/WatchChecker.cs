using System.Text.Json.Nodes;
using ConfigCluster.Client;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests.Chaos;

/// <summary>
/// Watchers that follow the chaos keys through the faults: one per key and one on their common
/// prefix, each through the SDK (which resumes on another node when its node dies), each from
/// revision 0. At the end every watcher must have seen, for each of its keys, exactly the key's
/// final history as a node reports it: every version, in revision order, no gap, no duplicate.
/// </summary>
internal sealed class WatchChecker : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly List<Watcher> watchers = [];

    private WatchChecker()
    {
    }

    public static WatchChecker Start(IReadOnlyList<NodeProcess> nodes, IReadOnlyList<string> keys, string prefix)
    {
        var checker = new WatchChecker();
        var targets = keys.Select(k => (Target: k, Keys: (IReadOnlyList<string>)[k])).Append((Target: prefix, Keys: keys)).ToList();
        for (var i = 0; i < targets.Count; i++)
        {
            // Each watcher starts on a different node, so failovers hit them at different times.
            var options = new ConfigClusterClientOptions { Token = NodeProcess.AdminToken };
            for (var n = 0; n < nodes.Count; n++)
                options.Endpoints.Add(new Uri(nodes[(i + n) % nodes.Count].GrpcUrl));
            var log = new RecordingLoggerFactory();
            var watcher = new Watcher(targets[i].Target, targets[i].Keys, new ConfigClusterClient(options, log), log);
            watcher.Run = Task.Run(() => watcher.Client.WatchAsync(watcher.Target, watcher.Add, startRevision: 0, token: checker.stop.Token));
            checker.watchers.Add(watcher);
        }

        return checker;
    }

    /// <summary>
    /// Reads each key's final history from <paramref name="node"/>, waits (bounded) until every
    /// watcher has reached it, stops the watchers and returns one problem per line (none: all good).
    /// </summary>
    public async Task<List<string>> CheckAsync(NodeProcess node, TimeSpan timeout)
    {
        var final = new Dictionary<string, List<(long Version, long Revision, string Value)>>();
        foreach (var key in watchers.SelectMany(static w => w.Keys).Distinct())
        {
            var (status, body) = await node.Http.GetJsonAsync($"/config/history/{key}");
            final[key] = status == System.Net.HttpStatusCode.NotFound ? [] :
                [.. body!["versions"]!.AsArray().Select(static v => (v!["version"]!.GetValue<long>(), v["revision"]!.GetValue<long>(), v["value"]!.ToJsonString())).OrderBy(static v => v.Item1)];
        }

        var problems = new List<string>();
        try
        {
            await Eventually.WaitAsync(() => watchers.All(w => w.Run.IsCompleted || w.Keys.All(k => final[k].Count == 0 || w.Reached(k, final[k][^1].Revision))), timeout, "every watcher to reach each key's last revision");
        }
        catch (TimeoutException e)
        {
            problems.Add(e.Message + ": " + string.Join("; ", watchers.Select(static w => $"{w.Target} at revision {w.LastRevision}")));
        }

        await stop.CancelAsync();
        foreach (var watcher in watchers)
        {
            try
            {
                await watcher.Run;
            }
            catch (Exception e)
            {
                problems.Add($"watch on {watcher.Target} ended with {e.GetType().Name}: {e.Message}");
            }

            var found = watcher.Compare(final).ToList();
            problems.AddRange(found);
            if (found.Count > 0)
                problems.Add($"watch on {watcher.Target}, its client's log:\n  " + string.Join("\n  ", watcher.Log.Lines));
        }

        return problems;
    }

    /// <summary>What a watcher's stream got wrong: out of revision order, or per key not exactly the final history (a gap, a duplicate, a change never committed).</summary>
    public static IEnumerable<string> Differences(string target, IReadOnlyList<string> keys, IReadOnlyList<ConfigChange> changes, IReadOnlyDictionary<string, List<(long Version, long Revision, string Value)>> final)
    {
        for (var i = 1; i < changes.Count; i++)
        {
            if (changes[i].Revision < changes[i - 1].Revision || (changes[i].Revision == changes[i - 1].Revision && changes[i].Key == changes[i - 1].Key))
                yield return $"watch on {target}: {changes[i].Key} v{changes[i].Version} at revision {changes[i].Revision} delivered after {changes[i - 1].Key} v{changes[i - 1].Version} at revision {changes[i - 1].Revision}";
        }

        foreach (var key in keys)
        {
            var got = changes.Where(c => c.Key == key).Select(static c => (c.Version, c.Revision, Value: c.ValueJson is null ? "null" : JsonNode.Parse(c.ValueJson)!.ToJsonString())).ToList();
            var want = final[key];
            var at = 0;
            while (at < got.Count && at < want.Count && got[at] == want[at])
                at++;
            if (at < got.Count || at < want.Count)
            {
                yield return $"watch on {target}, key {key}: {got.Count} changes seen, {want.Count} in the final history; first difference at #{at}: "
                    + $"saw {(at < got.Count ? got[at].ToString() : "nothing")}, history has {(at < want.Count ? want[at].ToString() : "nothing")}";
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        foreach (var watcher in watchers)
        {
            await watcher.Run.ContinueWith(static _ => { }, TaskScheduler.Default);
            watcher.Client.Dispose();
        }

        stop.Dispose();
    }

    private sealed class Watcher(string target, IReadOnlyList<string> keys, ConfigClusterClient client, RecordingLoggerFactory log)
    {
        public RecordingLoggerFactory Log { get; } = log;

        private readonly List<ConfigChange> seen = [];

        public string Target { get; } = target;

        public IReadOnlyList<string> Keys { get; } = keys;

        public ConfigClusterClient Client { get; } = client;

        public Task Run { get; set; } = Task.CompletedTask;

        public long LastRevision
        {
            get
            {
                lock (seen)
                    return seen.Count == 0 ? 0 : seen[^1].Revision;
            }
        }

        public void Add(ConfigChange change)
        {
            lock (seen)
                seen.Add(change);
        }

        public bool Reached(string key, long revision)
        {
            lock (seen)
                return seen.Any(c => c.Key == key && c.Revision >= revision);
        }

        public IEnumerable<string> Compare(IReadOnlyDictionary<string, List<(long Version, long Revision, string Value)>> final)
        {
            List<ConfigChange> changes;
            lock (seen)
                changes = [.. seen];
            return Differences(Target, Keys, changes, final);
        }
    }
}
