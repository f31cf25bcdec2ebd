using System.Diagnostics.CodeAnalysis;
using ConfigCluster.Server.Acl;
using ConfigCluster.Server.Limits;

namespace ConfigCluster.Server.Hosting;

public sealed partial class NodeOptionsValidator
{
    private static bool TryLimits(NodeOptions options, out RequestLimits limits, [NotNullWhen(false)] out string? error)
    {
        limits = new RequestLimits();
        if (!TryRate("rate-limit-token", options.RateLimitToken, out var tokenRate, out error)
            || !TryRate("rate-limit-source", options.RateLimitSource, out var sourceRate, out error)
            || !TryRate("quota-token", options.QuotaToken, out var tokenQuota, out error)
            || !TryLong("max-watches-per-token", options.MaxWatchesPerToken, 0, 1, 1_000_000, out var watches, out error)
            || !TryLong("max-long-polls-per-token", options.MaxLongPollsPerToken, 0, 1, 1_000_000, out var longPolls, out error))
            return false;
        limits = new RequestLimits
        {
            TokenRate = tokenRate,
            SourceRate = sourceRate,
            TokenQuota = tokenQuota,
            MaxWatchesPerToken = watches > 0 ? (int)watches : null,
            MaxLongPollsPerToken = longPolls > 0 ? (int)longPolls : null,
        };
        return true;
    }

    private static bool TryRate(string name, string? text, out RateLimit? limit, [NotNullWhen(false)] out string? error)
    {
        limit = null;
        error = null;
        if (text is null || text is "off")
            return true;
        if (!RateLimit.TryParse(text, out limit))
            error = $"--{name}: '{text}' is not N/PERIOD like 200/s, 6000/1m or 100000/24h (or off)";
        return error is null;
    }

    private static bool TryAuditSink(NodeOptions options, out AuditSinkTarget? sink, [NotNullWhen(false)] out string? error)
    {
        sink = null;
        if ((options.AuditSinkFormat ?? "json") is not ("json" or "syslog"))
            return Fail($"--audit-sink-format: '{options.AuditSinkFormat}' is not json or syslog", out error);
        if (!TryLong("audit-sink-buffer", options.AuditSinkBuffer, 10_000, 1, 10_000_000, out var buffer, out error))
            return false;
        if (options.AuditSink is null or "none")
            return true;
        if (!AuditSinkTarget.TryParse(options.AuditSink, options.AuditSinkFormat == "syslog", (int)buffer, out sink))
            return Fail($"--audit-sink: '{options.AuditSink}' is not stdout, unix:PATH or tcp:HOST:PORT", out error);
        return true;
    }
}
