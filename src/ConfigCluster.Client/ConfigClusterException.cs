namespace ConfigCluster.Client;

/// <summary>A ConfigCluster call failed for a reason that retrying will not fix. Messages never contain values.</summary>
public class ConfigClusterException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The key (or version) does not exist.</summary>
public sealed class ConfigNotFoundException(string message, Exception? inner = null) : ConfigClusterException(message, inner);

/// <summary>A compare-and-set failed; nothing changed.</summary>
public sealed class ConfigVersionMismatchException(string message, long? currentVersion, Exception? inner = null) : ConfigClusterException(message, inner)
{
    /// <summary>The key's version when the write was refused, when the server said.</summary>
    public long? CurrentVersion { get; } = currentVersion;
}

/// <summary>The request was invalid (bad key, value, or argument); nothing changed.</summary>
public sealed class ConfigValidationException(string message, Exception? inner = null) : ConfigClusterException(message, inner);

/// <summary>The token is missing, unknown, or lacks the capability.</summary>
public sealed class ConfigAccessDeniedException(string message, Exception? inner = null) : ConfigClusterException(message, inner);

/// <summary>No node could serve the call within the operation timeout.</summary>
public sealed class ConfigUnavailableException(string message, Exception? inner = null) : ConfigClusterException(message, inner);
