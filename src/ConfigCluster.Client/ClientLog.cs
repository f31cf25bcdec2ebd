using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace ConfigCluster.Client;

/// <summary>Source-generated log messages of the client SDK (event ids 1000–1099). Values are never logged.</summary>
internal static partial class ClientLog
{
    [LoggerMessage(1000, LogLevel.Debug, "{Operation} attempt {Attempt} failed with {Status} ({Kind}); retrying in {DelayMs} ms")]
    public static partial void Retrying(ILogger logger, string operation, int attempt, StatusCode status, FailureKind kind, long delayMs);

    [LoggerMessage(1001, LogLevel.Warning, "{Operation} gave up after {Attempts} attempts: {Status}")]
    public static partial void GaveUp(ILogger logger, string operation, int attempts, StatusCode status);

    [LoggerMessage(1010, LogLevel.Information, "Watch on '{Target}' broke ({Reason}); resuming after revision {Revision} in {DelayMs} ms")]
    public static partial void WatchResuming(ILogger logger, string target, string reason, long revision, long delayMs);

    [LoggerMessage(1011, LogLevel.Warning, "Watch on '{Target}' could not learn its start revision; retrying")]
    public static partial void WatchBaselineFailed(ILogger logger, string target, Exception exception);
}
