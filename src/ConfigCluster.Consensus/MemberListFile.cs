using System.Net;
using System.Text.Json;

namespace ConfigCluster.Consensus;

/// <summary>
/// The cluster's member list as this node last learned it (<c>members.json</c> in the data
/// directory), rewritten atomically after every membership change, so a restarted node starts
/// from the current membership instead of its initial <c>--members</c>.
/// </summary>
internal sealed class MemberListFile(string path)
{
    public const string FileName = "members.json";

    /// <summary>The saved members, or null when none were saved yet.</summary>
    public IReadOnlyList<EndPoint>? Load()
    {
        if (!File.Exists(path))
            return null;
        var entries = JsonSerializer.Deserialize<string[]>(File.ReadAllText(path)) ?? [];
        return [.. entries.Select(Parse)];
    }

    /// <summary>Saves synchronously (at start-up, before Raft runs).</summary>
    public void Save(IEnumerable<EndPoint> members)
    {
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough))
            JsonSerializer.Serialize(stream, members.Select(Format).Order(StringComparer.Ordinal).ToArray());
        File.Move(temporary, path, overwrite: true);
    }

    public async Task SaveAsync(IEnumerable<EndPoint> members, CancellationToken token)
    {
        var temporary = path + ".tmp";
        await using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough))
        {
            await JsonSerializer.SerializeAsync(stream, members.Select(Format).Order(StringComparer.Ordinal).ToArray(), cancellationToken: token).ConfigureAwait(false);
        }

        File.Move(temporary, path, overwrite: true);
    }

    public static string Format(EndPoint endPoint) => endPoint switch
    {
        IPEndPoint ip => ip.ToString(),
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        _ => endPoint.ToString() ?? "",
    };

    private static EndPoint Parse(string text)
    {
        if (IPEndPoint.TryParse(text, out var ip))
            return ip;
        var colon = text.LastIndexOf(':');
        return colon > 0 && int.TryParse(text[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture, out var port)
            ? new DnsEndPoint(text[..colon], port)
            : throw new InvalidDataException($"{FileName}: '{text}' is not HOST:PORT");
    }
}
