using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace ConfigCluster.Server.Tests.Harness;

/// <summary>
/// For a failed convergence check: the keys (default namespace and environment) on which running
/// nodes disagree, read from each node's own copy, with every node's version of them.
/// </summary>
internal static class StoreDiff
{
    public static async Task<string> DescribeAsync(IReadOnlyList<NodeProcess> nodes, int maxKeys = 10)
    {
        var views = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            try
            {
                views[node.NodeId] = await ItemsAsync(node);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException)
            {
                return $"(no key diff: {node.NodeId} could not be listed: {e.Message})";
            }
        }

        var keys = views.Values.SelectMany(static v => v.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var differing = keys.Where(key => views.Values.Select(v => v.GetValueOrDefault(key) ?? "(absent)").Distinct(StringComparer.Ordinal).Count() > 1).ToList();
        var text = new StringBuilder($"key diff: {differing.Count} of {keys.Count} keys differ between nodes");
        foreach (var key in differing.Take(maxKeys))
        {
            text.Append($"\n  {key}:");
            foreach (var (node, view) in views)
                text.Append($" {node}={view.GetValueOrDefault(key) ?? "(absent)"}");
        }

        return text.ToString();
    }

    // key -> "v{version} r{revision} {value}" on the node's own copy.
    private static async Task<Dictionary<string, string>> ItemsAsync(NodeProcess node)
    {
        var items = new Dictionary<string, string>(StringComparer.Ordinal);
        string? page = null;
        do
        {
            var path = "/config?consistency=serializable&limit=1000" + (page is null ? "" : $"&pageToken={Uri.EscapeDataString(page)}");
            var (status, body) = await node.Http.GetJsonAsync(path);
            if (status != HttpStatusCode.OK)
                throw new InvalidOperationException($"GET {path} answered {(int)status}");
            foreach (var item in body?["items"]?.AsArray() ?? [])
                items[(string)item!["key"]!] = $"v{item["version"]} r{item["revision"]} {Short(item["value"])}";
            page = (string?)body?["nextPageToken"];
        }
        while (page is not null);
        return items;
    }

    private static string Short(JsonNode? value)
    {
        var text = value?.ToJsonString() ?? "null";
        return text.Length <= 40 ? text : text[..40] + "...";
    }
}
