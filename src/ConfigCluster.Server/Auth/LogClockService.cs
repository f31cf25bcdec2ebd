using ConfigCluster.Consensus;
using ConfigCluster.Core.Commands;

namespace ConfigCluster.Server.Auth;

/// <summary>
/// On the leader, enters the leader's clock in the log every <see cref="Interval"/>
/// (<see cref="LogClockOp"/>): a small entry that moves the log clock on while the cluster is idle,
/// so tokens expire on time without any write. Only the leader's clock is entered (a follower's is
/// never), and the log clock never goes back, so a node whose own clock is wrong judges expiry like
/// every other.
/// </summary>
public sealed partial class LogClockService(RaftNode node, TimeProvider clock, ILogger<LogClockService> logger) : Hosting.LeaderLoop(node, clock)
{
    /// <summary>How often the leader enters its clock: the resolution of expiry (a token expires at most this late).</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// TEST ONLY, never set in production: <c>CONFIGCLUSTER_TEST_LOG_CLOCK_INTERVAL_MS</c> spaces the
    /// clock entries further apart, for tests that need each write to be the only entry appended
    /// meanwhile (the durability trace). Logged as a warning at start.
    /// </summary>
    public const string TestIntervalVariable = "CONFIGCLUSTER_TEST_LOG_CLOCK_INTERVAL_MS";

    /// <summary>The author recorded on clock entries.</summary>
    public const string Author = "system:clock";

    private bool failing;

    /// <inheritdoc/>
    protected override TimeSpan Period
    {
        get
        {
            if (!int.TryParse(Environment.GetEnvironmentVariable(TestIntervalVariable), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var testMs) || testMs <= 0)
                return Interval;
            Log.TestInterval(logger, testMs);
            return TimeSpan.FromMilliseconds(testMs);
        }
    }

    /// <inheritdoc/>
    protected override async Task RunRoundAsync(CancellationToken stoppingToken)
    {
        // (Followers do nothing here; the members' formats are kept warm by Hosting/CommandFormatSampler.)
        var command = new Command
        {
            TimestampUnixMs = Clock.GetUtcNow().ToUnixTimeMilliseconds(),
            Author = Author,
            LogClock = new LogClockOp(),
        };
        if (await ProposeAsync(command, Interval * 5, stoppingToken) is not { } outcome)
            return;

        // Leadership moves, a mixed-version cluster refuses the new entry: say so once, keep trying.
        var applied = outcome.Status == ProposeStatus.Applied;
        if (!applied && !failing)
            Log.TickFailed(logger, outcome.Status.ToString());
        failing = !applied;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 7300, Level = LogLevel.Information, Message = "The leader could not enter its clock in the log ({Status}); expiry is judged by the last clock entry meanwhile")]
        public static partial void TickFailed(ILogger logger, string status);

        [LoggerMessage(EventId = 7301, Level = LogLevel.Warning, Message = "TEST BUILD SWITCH: CONFIGCLUSTER_TEST_LOG_CLOCK_INTERVAL_MS enters the leader's clock every {IntervalMs} ms instead of every second. Only the durability trace sets this.")]
        public static partial void TestInterval(ILogger logger, int intervalMs);
    }
}
