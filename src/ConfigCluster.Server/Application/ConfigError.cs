namespace ConfigCluster.Server.Application;

/// <summary>Why a request failed; each edge maps it to its own status code.</summary>
public enum ConfigErrorCode
{
    /// <summary>Bad key, body or parameter (HTTP 400, gRPC InvalidArgument). Nothing changed.</summary>
    InvalidArgument,

    /// <summary>The key or version does not exist (404, NotFound).</summary>
    NotFound,

    /// <summary>Compare-and-set failed (409, FailedPrecondition). Nothing changed.</summary>
    VersionMismatch,

    /// <summary>The value exceeds the limit (413, ResourceExhausted). Nothing changed.</summary>
    TooLarge,

    /// <summary>No leader or quorum; the write was not applied (503, Unavailable).</summary>
    Unavailable,

    /// <summary>The write may or may not have been applied (504, Unknown).</summary>
    Ambiguous,

    /// <summary>This node cannot handle secrets (no or wrong master key) (503, Unavailable: another node may).</summary>
    Sealed,

    /// <summary>The write was built from a stale view and should be rebuilt (internal; after retries: 409).</summary>
    Retry,

    /// <summary>The cluster is not in a state that allows the operation (409, FailedPrecondition). Nothing changed.</summary>
    FailedPrecondition,

    /// <summary>The caller's token may not touch one of the items (403, PermissionDenied). Nothing changed.</summary>
    PermissionDenied,

    /// <summary>An internal failure (500, Internal).</summary>
    Internal,
}

/// <summary>A failed request: a code and a message safe to show the caller (never a value).</summary>
public sealed record ConfigError(ConfigErrorCode Code, string Message)
{
    /// <summary>For a failed compare-and-set, the key's current version.</summary>
    public long? CurrentVersion { get; init; }
}

/// <summary>A value or an error.</summary>
public readonly record struct Outcome<T>(T? Value, ConfigError? Error)
{
    public bool IsSuccess => Error is null;

    public static implicit operator Outcome<T>(T value) => new(value, null);

    public static implicit operator Outcome<T>(ConfigError error) => new(default, error);

    public static Outcome<T> From(T value) => new(value, null);
}
