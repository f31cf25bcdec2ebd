using ConfigCluster.Server.Application;
using Grpc.Core;

namespace ConfigCluster.Server.Grpc;

/// <summary>Maps <see cref="ConfigError"/> to the gRPC status codes documented in kv.proto.</summary>
internal static class GrpcErrors
{
    /// <summary>Trailer naming an ambiguous outcome.</summary>
    public const string OutcomeTrailer = "cc-outcome";

    /// <summary>Trailer carrying the current version after a failed compare-and-set.</summary>
    public const string CurrentVersionTrailer = "cc-current-version";

    public static RpcException ToRpcException(ConfigError error)
    {
        var code = error.Code switch
        {
            ConfigErrorCode.InvalidArgument => StatusCode.InvalidArgument,
            ConfigErrorCode.NotFound => StatusCode.NotFound,
            ConfigErrorCode.VersionMismatch or ConfigErrorCode.FailedPrecondition => StatusCode.FailedPrecondition,
            ConfigErrorCode.Retry => StatusCode.Aborted,
            ConfigErrorCode.TooLarge => StatusCode.ResourceExhausted,
            ConfigErrorCode.PermissionDenied => StatusCode.PermissionDenied,
            ConfigErrorCode.Unavailable or ConfigErrorCode.Sealed => StatusCode.Unavailable,
            ConfigErrorCode.Ambiguous => StatusCode.Unknown,
            _ => StatusCode.Internal,
        };
        var trailers = new Metadata();
        if (error.Code == ConfigErrorCode.Ambiguous)
            trailers.Add(OutcomeTrailer, "ambiguous");
        if (error.Code == ConfigErrorCode.Sealed)
            trailers.Add("cc-sealed", "1");
        if (error.CurrentVersion is { } current)
            trailers.Add(CurrentVersionTrailer, current.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return new RpcException(new Status(code, error.Message), trailers);
    }

    /// <summary>Returns the value or throws the mapped <see cref="RpcException"/>.</summary>
    public static T OrThrow<T>(this Outcome<T> outcome)
        => outcome.Error is { } error ? throw ToRpcException(error) : outcome.Value!;
}
