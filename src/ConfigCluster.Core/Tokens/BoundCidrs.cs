using System.Net;

namespace ConfigCluster.Core.Tokens;

/// <summary>
/// A token's bound networks (Vault's <c>token_bound_cidrs</c>): CIDR blocks or single addresses
/// the token may be used from. Parsing is the same on every node (apply validates with it).
/// </summary>
public static class BoundCidrs
{
    /// <summary>Most networks one token or role may list.</summary>
    public const int MaxCount = 64;

    /// <summary>Parses one entry: <c>10.0.0.0/8</c>, <c>2001:db8::/32</c>, or an address (a /32 or /128).</summary>
    public static bool TryParse(string? text, out IPNetwork network)
    {
        network = default;
        if (string.IsNullOrWhiteSpace(text) || text.Length > 64)
            return false;
        if (text.Contains('/', StringComparison.Ordinal))
            return IPNetwork.TryParse(text, out network);
        if (!IPAddress.TryParse(text, out var address))
            return false;
        network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        return true;
    }

    /// <summary>The first entry of <paramref name="entries"/> that is not a network, or null when all are (and there are at most <see cref="MaxCount"/>).</summary>
    public static string? FirstInvalid(IReadOnlyCollection<string> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count > MaxCount)
            return $"more than {MaxCount} networks";
        foreach (var entry in entries)
        {
            if (!TryParse(entry, out _))
                return entry;
        }

        return null;
    }

    /// <summary>
    /// Whether <paramref name="source"/> lies in one of <paramref name="entries"/> (an IPv4 address
    /// seen as IPv6-mapped counts as IPv4). An unknown source matches nothing.
    /// </summary>
    public static bool Contains(IEnumerable<string> entries, IPAddress? source)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (source is null)
            return false;
        if (source.IsIPv4MappedToIPv6)
            source = source.MapToIPv4();
        foreach (var entry in entries)
        {
            if (TryParse(entry, out var network) && network.Contains(source))
                return true;
        }

        return false;
    }
}
