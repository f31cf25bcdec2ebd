using System.Diagnostics;

namespace ConfigCluster.Server.Auth;

/// <summary>
/// TEST ONLY: <c>CONFIGCLUSTER_TEST_CLOCK_OFFSET</c> (a signed duration in milliseconds, e.g.
/// <c>-3600000</c>) shifts this node's wall clock, so a test can prove that a node with a skewed
/// clock judges token expiry like the others. <c>CONFIGCLUSTER_TEST_CLOCK_OFFSET_FILE</c> names a
/// file holding that number instead, re-read every 100 ms, so a test can make the clock of a
/// running node jump (libfaketime is not available here). A node that reads either logs a warning
/// at start.
/// </summary>
public sealed class TestClockOffset : TimeProvider
{
    /// <summary>The variable's name.</summary>
    public const string Variable = "CONFIGCLUSTER_TEST_CLOCK_OFFSET";

    /// <summary>The name of the variable that names an offset file.</summary>
    public const string FileVariable = "CONFIGCLUSTER_TEST_CLOCK_OFFSET_FILE";

    private static readonly TimeSpan FileRefresh = TimeSpan.FromMilliseconds(100);
    private readonly string? file;
    private readonly Lock gate = new();
    private TimeSpan offset;
    private long readAt;

    private TestClockOffset(TimeSpan offset, string? file)
    {
        this.offset = offset;
        this.file = file;
    }

    /// <summary>The offset the variable sets, or null when unset or not a whole number.</summary>
    public static TimeSpan? FromEnvironment() => Parse(Environment.GetEnvironmentVariable(Variable)) is { } ms && ms != 0 ? TimeSpan.FromMilliseconds(ms) : null;

    /// <summary>The offset file the test names, or null.</summary>
    public static string? FileFromEnvironment() => Environment.GetEnvironmentVariable(FileVariable) is { Length: > 0 } path ? path : null;

    /// <summary>The system clock shifted by <paramref name="offset"/> (timers and monotonic timestamps are not shifted).</summary>
    public static TimeProvider Create(TimeSpan offset) => new TestClockOffset(offset, null);

    /// <summary>The system clock shifted by the number of milliseconds in <paramref name="path"/> (0 while it is missing or not a number).</summary>
    public static TimeProvider FromFile(string path) => new TestClockOffset(TimeSpan.Zero, path);

    /// <inheritdoc/>
    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset();

    private TimeSpan Offset()
    {
        if (file is null)
            return offset;
        lock (gate)
        {
            if (readAt == 0 || Stopwatch.GetElapsedTime(readAt) >= FileRefresh)
            {
                // A few bytes from the page cache, at most every 100 ms; test builds only.
                offset = TimeSpan.FromMilliseconds(Parse(File.Exists(file) ? File.ReadAllText(file) : null) ?? 0);
                readAt = Stopwatch.GetTimestamp();
            }

            return offset;
        }
    }

    private static long? Parse(string? text)
        => long.TryParse(text?.Trim(), global::System.Globalization.NumberStyles.AllowLeadingSign, global::System.Globalization.CultureInfo.InvariantCulture, out var ms) ? ms : null;
}
