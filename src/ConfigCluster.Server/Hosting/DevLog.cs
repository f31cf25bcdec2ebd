namespace ConfigCluster.Server.Hosting;

/// <summary>Loud messages of development mode.</summary>
internal static partial class DevLog
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Warning, Message = "DEVELOPMENT MODE: generated a master key into {File}. Anyone who can read that file can decrypt every secret. Never do this in production: set CONFIGCLUSTER_MASTER_KEY or --master-key-file.")]
    public static partial void GeneratedMasterKey(ILogger logger, string file);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "TEST BUILD SWITCH: CONFIGCLUSTER_TEST_SKIP_READ_BARRIER=1, linearizable reads skip the read barrier and may be stale. Only the chaos suite's negative test sets this.")]
    public static partial void ReadBarrierSkipped(ILogger logger);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "TEST BUILD SWITCH: CONFIGCLUSTER_TEST_CLOCK_OFFSET shifts this node's wall clock by {OffsetMs} ms. Only tests of clock skew set this; token expiry is judged by the log clock and does not follow it.")]
    public static partial void ClockOffset(ILogger logger, long offsetMs);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "TEST BUILD SWITCH: CONFIGCLUSTER_TEST_CLOCK_OFFSET_FILE shifts this node's wall clock by the milliseconds written in {File}, re-read every 100 ms. Only tests of clock jumps set this.")]
    public static partial void ClockOffsetFile(ILogger logger, string file);
}
