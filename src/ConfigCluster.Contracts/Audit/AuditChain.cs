using System.Security.Cryptography;
using System.Text;

namespace ConfigCluster.Contracts.Audit;

/// <summary>
/// The audit file's tamper-evidence, shared by the node that writes it and the tools that check
/// it. Every line is a JSON object that ends with <c>"mac":"…"</c>: the HMAC-SHA256 (hex), keyed
/// with the cluster's audit key, of the previous line's MAC and this line without its MAC. An
/// edited, inserted or removed line breaks every MAC after it, and unlike a plain hash chain the
/// chain cannot be recomputed by someone who can write the file but does not hold the key.
/// </summary>
public static class AuditChain
{
    /// <summary>Length of a MAC in hex.</summary>
    public const int MacHexLength = 64;

    /// <summary>The MAC that precedes the first line of a chain.</summary>
    public const string Genesis = "";

    private const string MacPrefix = ",\"mac\":\"";
    private const string MacSuffix = "\"}";
    private static readonly int TrailerLength = MacPrefix.Length + MacHexLength + MacSuffix.Length;

    /// <summary>The MAC of <paramref name="body"/> (a JSON object without <c>mac</c>) following <paramref name="previousMac"/>.</summary>
    public static string Mac(ReadOnlySpan<byte> key, string previousMac, string body)
    {
        ArgumentNullException.ThrowIfNull(previousMac);
        ArgumentNullException.ThrowIfNull(body);
        var bytes = Encoding.UTF8.GetBytes(previousMac + "\n" + body);
        return Convert.ToHexStringLower(HMACSHA256.HashData(key, bytes));
    }

    /// <summary>The line to write for <paramref name="body"/>: the body with its MAC as the last member.</summary>
    public static string Seal(string body, string mac)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (body.Length < 2 || body[^1] != '}' || mac.Length != MacHexLength)
            throw new ArgumentException("body must be a JSON object and mac a hex HMAC-SHA256", nameof(body));
        return string.Concat(body.AsSpan(0, body.Length - 1), MacPrefix, mac, MacSuffix);
    }

    /// <summary>Splits a written line into its body (as it was MACed) and its MAC; false when it has no MAC trailer.</summary>
    public static bool TryOpen(string line, out string body, out string mac)
    {
        ArgumentNullException.ThrowIfNull(line);
        body = mac = "";
        if (line.Length < TrailerLength + 2 || !line.EndsWith(MacSuffix, StringComparison.Ordinal)
            || string.CompareOrdinal(line, line.Length - TrailerLength, MacPrefix, 0, MacPrefix.Length) != 0)
            return false;
        mac = line.Substring(line.Length - MacHexLength - MacSuffix.Length, MacHexLength);
        body = string.Concat(line.AsSpan(0, line.Length - TrailerLength), "}");
        return true;
    }

    /// <summary>Whether two MACs (hex) are equal, compared in constant time.</summary>
    public static bool SameMac(string a, string b)
        => a.Length == b.Length && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));
}
