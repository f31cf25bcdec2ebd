using Grpc.Core;

namespace ConfigCluster.Client;

/// <summary>
/// A ConfigCluster call failed for a reason that retrying will not fix (or retries ran out).
/// Messages name keys and versions, never values.
/// </summary>
public class ConfigClusterException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ConfigClusterException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }

    /// <summary>The gRPC status the cluster answered with, when there was one.</summary>
    public StatusCode? StatusCode => (InnerException as RpcException)?.StatusCode;
}

/// <summary>The key (or version) does not exist.</summary>
public sealed class ConfigNotFoundException(string message, Exception? inner = null) : ConfigClusterException(message, inner);

/// <summary>A compare-and-set failed (<c>expectedVersion</c> did not match); nothing changed.</summary>
public sealed class ConfigVersionMismatchException(string message, long? currentVersion, Exception? inner = null) : ConfigClusterException(message, inner)
{
    /// <summary>The key's version when the write was refused (trailer <c>cc-current-version</c>), when the server said.</summary>
    public long? CurrentVersion { get; } = currentVersion;
}

/// <summary>The request was invalid (bad key, value, argument, or a value over the size limit); nothing changed.</summary>
public sealed class ConfigValidationException(string message, Exception? inner = null) : ConfigClusterException(message, inner);

/// <summary>The token is missing, unknown, or lacks the capability.</summary>
public sealed class ConfigAccessDeniedException(string message, Exception? inner = null) : ConfigClusterException(message, inner);

/// <summary>No node could serve the call within the operation timeout. A write that fails this way was not applied.</summary>
public sealed class ConfigUnavailableException(string message, Exception? inner = null) : ConfigClusterException(message, inner);

/// <summary>
/// A write's outcome is unknown: it may or may not have been applied, and retries with the same
/// request id (which the cluster applies at most once) did not settle it before the operation
/// timeout. Read the key to find out, or re-send with <see cref="RequestId"/>.
/// </summary>
public sealed class ConfigAmbiguousWriteException(string message, string? requestId, Exception? inner = null) : ConfigClusterException(message, inner)
{
    /// <summary>The request id every attempt of this write carried; null for writes that carry none.</summary>
    public string? RequestId { get; } = requestId;
}

/// <summary>A watch asked to start before the oldest revision the cluster still keeps (gRPC <c>OUT_OF_RANGE</c>).</summary>
public sealed class ConfigCompactedException(string message, long? oldestRevision, Exception? inner = null) : ConfigClusterException(message, inner)
{
    /// <summary>The oldest revision still available (trailer <c>cc-oldest-revision</c>), when the server said.</summary>
    public long? OldestRevision { get; } = oldestRevision;
}
