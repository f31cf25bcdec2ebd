using System.Net;
using System.Text;

namespace ConfigCluster.Server.Tests.Harness;

/// <summary>
/// For a failed convergence check: the keys (default namespace and environment) whose history
/// differs between running nodes, read from each node's own copy, with the first version that
/// differs (revision, time, author, operation) as every node holds it.
/// </summary>
internal static class StoreDiff
{
    public static async Task<string> DescribeAsync(IReadOnlyList<NodeProcess> nodes, int maxKeys = 10)
    {
        var views = new Dictionary<string, Dictionary<string, List<string>>>(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            try
            {
                views[node.NodeId] = await HistoriesAsync(node);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException)
            {
                return $"(no key diff: {node.NodeId} could not be listed: {e.Message})";
            }
        }

        var keys = views.Values.SelectMany(static v => v.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var text = new StringBuilder();
        var differing = 0;
        foreach (var key in keys)
        {
            var histories = views.ToDictionary(static v => v.Key, v => v.Value.GetValueOrDefault(key) ?? []);
            var longest = histories.Values.Max(static h => h.Count);
            var first = Enumerable.Range(0, longest).FirstOrDefault(i => histories.Values.Select(h => i < h.Count ? h[i] : "(none)").Distinct(StringComparer.Ordinal).Count() > 1, -1);
            if (first < 0)
                continue;
            if (++differing > maxKeys)
                continue;
            text.Append($"\n  {key}, version {first + 1} of {longest}:");
            foreach (var (node, history) in histories)
                text.Append($" {node}={(first < history.Count ? history[first] : "(none)")} ({history.Count} versions)");
        }

        return $"history diff: {differing} of {keys.Count} keys differ between nodes" + text;
    }

    // key -> its versions, oldest first, as "v{version} r{revision} {operation} {updatedAt} {author}".
    private static async Task<Dictionary<string, List<string>>> HistoriesAsync(NodeProcess node)
    {
        var histories = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        string? page = null;
        do
        {
            var path = "/config?consistency=serializable&limit=1000" + (page is null ? "" : $"&pageToken={Uri.EscapeDataString(page)}");
            var (status, body) = await node.Http.GetJsonAsync(path);
            if (status != HttpStatusCode.OK)
                throw new InvalidOperationException($"GET {path} answered {(int)status}");
            foreach (var item in body?["items"]?.AsArray() ?? [])
            {
                var key = (string)item!["key"]!;
                var (_, history) = await node.Http.GetJsonAsync($"/config/history/{key}?consistency=serializable");
                histories[key] = [.. (history?["versions"]?.AsArray() ?? [])
                    .OrderBy(static v => v?["version"]?.GetValue<long>() ?? 0)
                    .Select(static v => $"v{v?["version"]} r{v?["revision"]} {v?["operation"]} {v?["updatedAt"]} {v?["author"]}")];
            }

            page = (string?)body?["nextPageToken"];
        }
        while (page is not null);
        return histories;
    }
}
