using System.Text.Json;
using ConfigCluster.Contracts.V1;

namespace ConfigCluster.Cli;

/// <summary>Prints results as an aligned table (people) or JSON (scripts).</summary>
internal static class Output
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static void Json(object value) => Console.WriteLine(JsonSerializer.Serialize(value, Indented));

    public static void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = rows.ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => r[i].Length))).ToArray();
        Console.WriteLine(string.Join("  ", headers.Select((h, i) => h.ToUpperInvariant().PadRight(widths[i]))).TrimEnd());
        foreach (var row in all)
            Console.WriteLine(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
    }

    public static object Describe(KeyValue kv) => new
    {
        key = kv.Path.Key,
        environment = kv.Path.Environment,
        value = kv.ValueJson.Length == 0 ? null : JsonDocument.Parse(kv.ValueJson).RootElement.Clone() as object,
        version = kv.Version,
        revision = kv.Revision,
        operation = kv.Operation.ToString().Replace("Operation", "", StringComparison.Ordinal).ToLowerInvariant(),
        secret = kv.Secret,
        fingerprint = kv.Fingerprint.Length == 0 ? null : kv.Fingerprint,
        author = kv.Author,
        updatedAt = DateTimeOffset.FromUnixTimeMilliseconds(kv.UpdatedAtUnixMs).UtcDateTime,
    };

    public static string Shown(KeyValue kv) => kv.Secret && kv.ValueJson.Length == 0 ? $"(secret {kv.Fingerprint[..Math.Min(8, kv.Fingerprint.Length)]})" : kv.ValueJson;
}
