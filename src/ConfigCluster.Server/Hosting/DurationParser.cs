using System.Globalization;

namespace ConfigCluster.Server.Hosting;

/// <summary>Parses durations written as <c>500ms</c>, <c>10s</c>, <c>2m</c>, <c>1h</c> or <c>30d</c>.</summary>
public static class DurationParser
{
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
            return false;
        text = text.Trim();
        var (number, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1.0)
            : text.EndsWith('m') ? (text[..^1], 60.0)
            : text.EndsWith('h') ? (text[..^1], 3600.0)
            : text.EndsWith('d') ? (text[..^1], 86400.0)
            : (text, 1.0);
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount) || amount > 1e7)
            return false;
        value = TimeSpan.FromSeconds(amount * unit);
        return true;
    }
}
