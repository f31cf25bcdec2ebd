using System.Text.RegularExpressions;

namespace ConfigCluster.Server.Tests.Harness;

/// <summary>Reads figures out of a node's Prometheus text (<c>/metrics</c>).</summary>
internal static partial class MetricsText
{
    /// <summary>The sum of every sample whose name starts with <paramref name="metric"/> (all label sets; 0 when none).</summary>
    public static double Sum(string text, string metric)
        => MetricLine().Matches(text).Where(m => m.Groups["name"].Value.StartsWith(metric, StringComparison.Ordinal))
            .Sum(static m => double.Parse(m.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The value of the one sample named exactly <paramref name="metric"/> whose labels contain <paramref name="label"/> (0 when none).</summary>
    public static double Sample(string text, string metric, string label)
        => MetricLine().Matches(text).Where(m => m.Groups["name"].Value == metric && m.Groups["labels"].Value.Contains(label, StringComparison.Ordinal))
            .Select(static m => double.Parse(m.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?<labels>\{.*\})? (?<value>[0-9.eE+-]+)( [0-9]+)?$", RegexOptions.Multiline)]
    private static partial Regex MetricLine();
}
