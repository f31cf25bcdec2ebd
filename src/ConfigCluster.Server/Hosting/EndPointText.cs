using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace ConfigCluster.Server.Hosting;

/// <summary>Raft endpoints as operators write them: <c>HOST:PORT</c>.</summary>
public static class EndPointText
{
    /// <summary>
    /// Parses <c>HOST:PORT</c> where HOST is an IP address (<see cref="IPEndPoint"/>) or a DNS
    /// name (<see cref="DnsEndPoint"/>: containers address their peers by name).
    /// </summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out EndPoint? endPoint)
    {
        endPoint = null;
        if (IPEndPoint.TryParse(text, out var ip) && ip.Port > 0 && text.Contains(':', StringComparison.Ordinal))
        {
            endPoint = ip;
            return true;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            return false;
        var host = text[..colon];
        if (Uri.CheckHostName(host) != UriHostNameType.Dns)
            return false;
        endPoint = new DnsEndPoint(host, port);
        return true;
    }
}
