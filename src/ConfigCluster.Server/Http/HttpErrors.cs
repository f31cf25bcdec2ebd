using ConfigCluster.Server.Application;

namespace ConfigCluster.Server.Http;

/// <summary>Maps <see cref="ConfigError"/> to HTTP answers: <c>{"error": "...", ...}</c>.</summary>
internal static class HttpErrors
{
    public static IResult ToResult(ConfigError error)
    {
        var status = error.Code switch
        {
            ConfigErrorCode.InvalidArgument => StatusCodes.Status400BadRequest,
            ConfigErrorCode.NotFound => StatusCodes.Status404NotFound,
            ConfigErrorCode.VersionMismatch or ConfigErrorCode.Retry or ConfigErrorCode.FailedPrecondition => StatusCodes.Status409Conflict,
            ConfigErrorCode.TooLarge => StatusCodes.Status413PayloadTooLarge,
            ConfigErrorCode.PermissionDenied => StatusCodes.Status403Forbidden,
            ConfigErrorCode.Unavailable or ConfigErrorCode.Sealed => StatusCodes.Status503ServiceUnavailable,
            ConfigErrorCode.Ambiguous => StatusCodes.Status504GatewayTimeout,
            _ => StatusCodes.Status500InternalServerError,
        };
        return new JsonResult(status, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("error", error.Message);
            if (error.CurrentVersion is { } current)
                writer.WriteNumber("currentVersion", current);
            if (error.Code == ConfigErrorCode.Ambiguous)
                writer.WriteString("outcome", "ambiguous");
            else if (error.Code == ConfigErrorCode.Unavailable)
                writer.WriteString("outcome", "not-applied");
            else if (error.Code == ConfigErrorCode.Sealed)
                writer.WriteBoolean("sealed", true);
            writer.WriteEndObject();
        });
    }

    public static IResult BadRequest(string message) => ToResult(new ConfigError(ConfigErrorCode.InvalidArgument, message));
}
