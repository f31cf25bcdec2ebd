using System.Diagnostics;

namespace ConfigCluster.Server.Hosting;

/// <summary>
/// Start-up phases with their elapsed times, as Information events an operator can read after a
/// restart (and the restart benchmark reads to split restart-to-ready: RESULTS.md). Times are
/// milliseconds since the process started, so the runtime's own start is counted too.
/// </summary>
internal static partial class StartupTimeline
{
    // The process's start, read once (the first call happens at the top of Main).
    private static readonly DateTime ProcessStarted = ReadProcessStart();
    private static int readyLogged;

    /// <summary>Milliseconds since the process started.</summary>
    public static long SinceProcessStartMs => (long)(DateTime.UtcNow - ProcessStarted).TotalMilliseconds;

    /// <summary>Touches the clock so later readings have a process start to compare with.</summary>
    public static void Begin() => _ = ProcessStarted;

    /// <summary>Logs the first time this node reports ready (later reports log nothing).</summary>
    public static void ReportReadyOnce(ILogger logger, long appliedIndex, long commitIndex)
    {
        if (Interlocked.Exchange(ref readyLogged, 1) == 0)
            Ready(logger, SinceProcessStartMs, appliedIndex, commitIndex);
    }

    private static DateTime ReadProcessStart()
    {
        try
        {
            using var self = Process.GetCurrentProcess();
            return self.StartTime.ToUniversalTime();
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or System.ComponentModel.Win32Exception)
        {
            return DateTime.UtcNow;
        }
    }

    [LoggerMessage(EventId = 1200, Level = LogLevel.Information, Message = "Start-up: runtime up and Main entered {SinceStartMs} ms after the process started")]
    public static partial void MainEntered(ILogger logger, long sinceStartMs);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Start-up: host built in {ElapsedMs} ms ({SinceStartMs} ms since process start)")]
    public static partial void HostBuilt(ILogger logger, long elapsedMs, long sinceStartMs);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Information, Message = "Start-up: store opened in {ElapsedMs} ms at index {AppliedIndex} ({Keys} keys; {Scanned} log records scanned, start-up image used: {UsedImage}; {SinceStartMs} ms since process start)")]
    public static partial void StoreOpened(ILogger logger, long elapsedMs, long appliedIndex, int keys, long scanned, bool usedImage, long sinceStartMs);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Information, Message = "Start-up: services started and listening after {ElapsedMs} ms ({SinceStartMs} ms since process start)")]
    public static partial void Listening(ILogger logger, long elapsedMs, long sinceStartMs);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Information, Message = "Start-up: ready {SinceStartMs} ms after the process started (applied {AppliedIndex}, commit {CommitIndex})")]
    private static partial void Ready(ILogger logger, long sinceStartMs, long appliedIndex, long commitIndex);

    [LoggerMessage(EventId = 1206, Level = LogLevel.Information, Message = "Start-up: caught up with the leader's commit index (applied {AppliedIndex}) {SinceStartMs} ms after the process started")]
    public static partial void CaughtUp(ILogger logger, long appliedIndex, long sinceStartMs);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Information, Message = "Start-up: hosted service {Service} started in {ElapsedMs} ms")]
    public static partial void HostedServiceStarted(ILogger logger, string service, long elapsedMs);
}
