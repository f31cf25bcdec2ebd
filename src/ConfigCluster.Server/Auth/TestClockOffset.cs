namespace ConfigCluster.Server.Auth;

/// <summary>
/// TEST ONLY: <c>CONFIGCLUSTER_TEST_CLOCK_OFFSET</c> (a signed duration in milliseconds, e.g.
/// <c>-3600000</c>) shifts this node's wall clock, so a test can prove that a node with a skewed
/// clock judges token expiry like the others. A node that reads it logs a warning at start.
/// </summary>
public sealed class TestClockOffset : TimeProvider
{
    /// <summary>The variable's name.</summary>
    public const string Variable = "CONFIGCLUSTER_TEST_CLOCK_OFFSET";

    private readonly TimeSpan offset;

    private TestClockOffset(TimeSpan offset) => this.offset = offset;

    /// <summary>The offset the variable sets, or null when unset or not a whole number.</summary>
    public static TimeSpan? FromEnvironment()
        => long.TryParse(Environment.GetEnvironmentVariable(Variable), global::System.Globalization.NumberStyles.AllowLeadingSign, global::System.Globalization.CultureInfo.InvariantCulture, out var ms) && ms != 0
            ? TimeSpan.FromMilliseconds(ms)
            : null;

    /// <summary>The system clock shifted by <paramref name="offset"/> (timers and monotonic timestamps are not shifted).</summary>
    public static TimeProvider Create(TimeSpan offset) => new TestClockOffset(offset);

    /// <inheritdoc/>
    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
}
