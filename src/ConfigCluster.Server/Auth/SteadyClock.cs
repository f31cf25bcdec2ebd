using System.Diagnostics;

namespace ConfigCluster.Server.Auth;

/// <summary>
/// The node's wall clock, steadied against jumps. It follows the system clock while that agrees
/// (within <see cref="Tolerance"/>) with where the node's monotonic clock says the time should be,
/// which absorbs NTP's slewing and small steps; when the wall clock jumps further (set by hand, a VM
/// resumed with a stale clock, a bad NTP step) the node keeps counting on its monotonic clock from
/// the last agreed time, logs the jump once, and follows the wall clock again when it comes back.
/// </summary>
/// <remarks>
/// Why: the leader enters this clock in the log (<see cref="LogClockService"/>), and the log clock
/// never goes back, so a leader whose clock jumped an hour ahead used to expire every token with
/// less than an hour left, on every node; every node stamps the writes it accepts with it, and the
/// replicated request-id table ages out by those stamps (a jumped stamp forgot every id, so a
/// retried write applied twice); a leader judges forwarded writes' deadlines by it. A clock that is
/// already wrong when the node starts is taken as it is: nothing on one node can tell it from a
/// cluster restarted after a long outage.
/// </remarks>
public sealed partial class SteadyClock : TimeProvider
{
    /// <summary>How far the wall clock may move against the monotonic clock and still be followed. Default 2 s.</summary>
    public static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(2);

    private readonly TimeProvider wall;
    private readonly ILogger logger;
    private readonly Lock gate = new();
    private long lastTimestamp;
    private DateTimeOffset lastSteady;
    private bool diverged;

    /// <summary>Steadies <paramref name="wall"/> (the system clock, or a test-shifted one).</summary>
    public SteadyClock(TimeProvider wall, ILogger<SteadyClock> logger)
    {
        ArgumentNullException.ThrowIfNull(wall);
        this.wall = wall;
        this.logger = logger;
        lastTimestamp = Stopwatch.GetTimestamp();
        lastSteady = wall.GetUtcNow();
    }

    /// <inheritdoc/>
    public override DateTimeOffset GetUtcNow()
    {
        lock (gate)
        {
            // Both clocks read under the lock, so concurrent callers see time in order.
            var now = wall.GetUtcNow();
            var timestamp = Stopwatch.GetTimestamp();
            var expected = lastSteady + Stopwatch.GetElapsedTime(lastTimestamp, timestamp);
            var drift = now - expected;
            var agrees = drift.Duration() <= Tolerance;
            if (!agrees && !diverged)
                Log.Jumped(logger, (long)drift.TotalMilliseconds);
            else if (agrees && diverged)
                Log.Rejoined(logger);
            diverged = !agrees;
            lastTimestamp = timestamp;
            lastSteady = agrees ? now : expected;
            return lastSteady;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 7310, Level = LogLevel.Warning, Message = "This node's wall clock jumped by {JumpMs} ms; the node keeps its own time (monotonic) until the wall clock agrees again")]
        public static partial void Jumped(ILogger logger, long jumpMs);

        [LoggerMessage(EventId = 7311, Level = LogLevel.Information, Message = "This node's wall clock agrees with its time again")]
        public static partial void Rejoined(ILogger logger);
    }
}
