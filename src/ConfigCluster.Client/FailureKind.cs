using System.Globalization;
using System.Net.Sockets;
using Grpc.Core;

namespace ConfigCluster.Client;

/// <summary>What a failed attempt means for the operation.</summary>
internal enum FailureKind
{
    /// <summary>Retrying will not help: surface it.</summary>
    Fatal,

    /// <summary>Nothing was applied (or it was a read): try again, on another node.</summary>
    Transient,

    /// <summary>A write may or may not have been applied: re-send it with the same request id.</summary>
    Ambiguous,
}

/// <summary>Sorts gRPC failures into retry decisions and turns final ones into typed exceptions.</summary>
internal static class FailureClassifier
{
    public const string OutcomeTrailer = "cc-outcome";
    public const string CurrentVersionTrailer = "cc-current-version";
    public const string OldestRevisionTrailer = "cc-oldest-revision";

    public static FailureKind Classify(RpcException e, bool isWrite)
    {
        var uncertain = isWrite ? FailureKind.Ambiguous : FailureKind.Transient;
        // The cluster refused the machine login: the call was never sent, and retrying cannot help.
        if (e.Status.DebugException is MachineLoginException)
            return FailureKind.Fatal;
        return e.StatusCode switch
        {
            // The server says UNAVAILABLE only when the write was not applied; a transport error
            // is as sure only when the connection was never made.
            StatusCode.Unavailable => e.Status.DebugException is null || NeverConnected(e.Status.DebugException) || TlsRefused(e) ? FailureKind.Transient : uncertain,
            StatusCode.Unknown => IsAmbiguousOutcome(e) || e.Status.DebugException is not null ? uncertain : FailureKind.Fatal,
            StatusCode.Internal => e.Status.DebugException is not null ? uncertain : FailureKind.Fatal,
            StatusCode.Aborted => FailureKind.Transient,
            StatusCode.Cancelled => uncertain, // our own cancellation surfaces as OperationCanceledException
            // A hung node: move on. Safe for writes too, since a re-sent write keeps its request id.
            StatusCode.DeadlineExceeded => uncertain,
            _ => FailureKind.Fatal,
        };
    }

    public static bool IsAmbiguousOutcome(RpcException e) => e.Trailers.GetValue(OutcomeTrailer) == "ambiguous";

    /// <summary>The typed exception for a failure that ends the operation.</summary>
    public static ConfigClusterException Translate(RpcException e) => e.Status.DebugException is MachineLoginException login
        ? new ConfigAccessDeniedException(login.Message, e)
        : e.StatusCode switch
    {
        StatusCode.NotFound => new ConfigNotFoundException(Describe(e, "not found"), e),
        StatusCode.FailedPrecondition => new ConfigVersionMismatchException(Describe(e, "version mismatch"), ParseLong(e, CurrentVersionTrailer), e),
        StatusCode.InvalidArgument or StatusCode.ResourceExhausted => new ConfigValidationException(Describe(e, "invalid request"), e),
        StatusCode.OutOfRange => new ConfigCompactedException(Describe(e, "revision compacted"), ParseLong(e, OldestRevisionTrailer), e),
        StatusCode.Unauthenticated or StatusCode.PermissionDenied => new ConfigAccessDeniedException(Describe(e, "access denied"), e),
        StatusCode.Unavailable or StatusCode.Unknown or StatusCode.DeadlineExceeded or StatusCode.Internal or StatusCode.Aborted or StatusCode.Cancelled
            => new ConfigUnavailableException($"no node could serve the call ({e.StatusCode}: {Describe(e, "unavailable")})", e),
        _ => new ConfigClusterException($"{e.StatusCode}: {Describe(e, "failed")}", e),
    };

    /// <summary>
    /// The TLS handshake failed (the node's certificate was not trusted, or did not name the host):
    /// nothing was sent. The reason, or null when the failure was something else.
    /// </summary>
    public static string? TlsRefusal(RpcException e)
    {
        for (var inner = e.Status.DebugException; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Security.Authentication.AuthenticationException refused)
                return refused.Message.ReplaceLineEndings(" ");
        }

        return null;
    }

    private static bool TlsRefused(RpcException e) => e.StatusCode == StatusCode.Unavailable && TlsRefusal(e) is not null;

    private static bool NeverConnected(Exception debug)
    {
        for (var inner = debug; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostNotFound or SocketError.HostUnreachable or SocketError.NetworkUnreachable })
                return true;
        }

        return false;
    }

    private static string Describe(RpcException e, string fallback)
        => string.IsNullOrWhiteSpace(e.Status.Detail) ? fallback : e.Status.Detail.ReplaceLineEndings(" ");

    private static long? ParseLong(RpcException e, string trailer)
        => long.TryParse(e.Trailers.GetValue(trailer), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;
}
