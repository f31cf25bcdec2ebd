using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using ConfigCluster.Server.Hosting;

namespace ConfigCluster.Server.Limits;

/// <summary>A number of requests per period, written <c>N/PERIOD</c> (<c>200/s</c>, <c>6000/1m</c>, <c>100000/24h</c>).</summary>
/// <param name="Permits">Requests allowed per <paramref name="Period"/>.</param>
/// <param name="Period">The period.</param>
public sealed record RateLimit(int Permits, TimeSpan Period)
{
    /// <summary>Parses <c>N/PERIOD</c>; the period may omit its number (<c>s</c> = <c>1s</c>).</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out RateLimit? limit)
    {
        limit = null;
        var slash = text?.IndexOf('/', StringComparison.Ordinal) ?? -1;
        if (slash <= 0)
            return false;
        var period = text![(slash + 1)..].Trim();
        if (period.Length > 0 && !char.IsAsciiDigit(period[0]))
            period = "1" + period;
        if (!int.TryParse(text[..slash].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var permits) || permits < 1
            || !DurationParser.TryParse(period, out var span) || span < TimeSpan.FromMilliseconds(10) || span > TimeSpan.FromDays(31))
            return false;
        limit = new RateLimit(permits, span);
        return true;
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Permits}/{Period}");
}

/// <summary>
/// What one client may do to a node (<c>--rate-limit-token</c>, <c>--rate-limit-source</c>,
/// <c>--quota-token</c>, <c>--max-watches-per-token</c>, <c>--max-long-polls-per-token</c>).
/// Every limit is off (null) by default. Peer traffic and health probes are never limited.
/// </summary>
public sealed record RequestLimits
{
    /// <summary>Requests per token (by accessor) per period, as a token bucket. Default off.</summary>
    public RateLimit? TokenRate { get; init; }

    /// <summary>Requests per source IP per period, with or without a token. Default off.</summary>
    public RateLimit? SourceRate { get; init; }

    /// <summary>Requests per token over a fixed window (a quota). Default off.</summary>
    public RateLimit? TokenQuota { get; init; }

    /// <summary>Concurrent watches (gRPC Watch streams and WebSockets together) per token. Default off.</summary>
    public int? MaxWatchesPerToken { get; init; }

    /// <summary>Concurrent long-polls (<c>GET /config/KEY?wait=</c>) per token. Default off.</summary>
    public int? MaxLongPollsPerToken { get; init; }

    /// <summary>True when any request-rate limit is set (the rate limiter middleware has work).</summary>
    public bool LimitsRequests => TokenRate is not null || SourceRate is not null || TokenQuota is not null;
}
