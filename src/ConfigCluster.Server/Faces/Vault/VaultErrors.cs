using ConfigCluster.Server.Acl;
using ConfigCluster.Server.Application;

namespace ConfigCluster.Server.Faces.Vault;

/// <summary>
/// Vault's error answers: <c>{"errors": ["..."]}</c> with Vault's status codes (400 bad input,
/// 403 permission denied, 404 not found, 503 sealed or no leader). The one place the Vault routes
/// turn a <see cref="ConfigError"/> into an answer; messages never hold a secret.
/// </summary>
public static class VaultErrors
{
    /// <summary>Access failures of the Vault routes: 403 <c>{"errors":["permission denied"]}</c> (and 401 / 503 in the same shape).</summary>
    public static readonly AccessErrorShape Shape = new VaultShape();

    /// <summary>Vault's answer to a CAS mismatch.</summary>
    public const string CasMismatch = "check-and-set parameter did not match the current version";

    /// <summary>An error answer with <paramref name="status"/> and the given messages (none: <c>{"errors":[]}</c>, Vault's bare 404).</summary>
    public static IResult Result(int status, params string[] messages) => Results.Json(new { errors = messages }, statusCode: status);

    /// <summary>400 with one message.</summary>
    public static IResult BadRequest(string message) => Result(StatusCodes.Status400BadRequest, message);

    /// <summary>Vault's bare 404: <c>{"errors":[]}</c>.</summary>
    public static IResult NotFound() => Result(StatusCodes.Status404NotFound);

    /// <summary>Vault's answer for a path no mount serves.</summary>
    public static IResult NoRoute(string path) => Result(StatusCodes.Status404NotFound, $"no handler for route \"{path}\". route entry not found.");

    /// <summary>Maps a ConfigCluster error onto Vault's codes and shape.</summary>
    public static IResult From(ConfigError error) => error.Code switch
    {
        ConfigErrorCode.NotFound => NotFound(),
        ConfigErrorCode.VersionMismatch => BadRequest(CasMismatch),
        ConfigErrorCode.InvalidArgument or ConfigErrorCode.FailedPrecondition or ConfigErrorCode.Retry => BadRequest(error.Message),
        ConfigErrorCode.TooLarge => Result(StatusCodes.Status413PayloadTooLarge, error.Message),
        ConfigErrorCode.PermissionDenied => Result(StatusCodes.Status403Forbidden, "permission denied"),
        ConfigErrorCode.Sealed => Result(StatusCodes.Status503ServiceUnavailable, "Vault is sealed"),
        ConfigErrorCode.Unavailable => Result(StatusCodes.Status503ServiceUnavailable, error.Message),
        ConfigErrorCode.Ambiguous => Result(StatusCodes.Status504GatewayTimeout, error.Message),
        _ => Result(StatusCodes.Status500InternalServerError, "internal error"),
    };

    private sealed class VaultShape : AccessErrorShape
    {
        // Vault says only "permission denied" for a missing, unknown or powerless token (the status
        // stays ConfigCluster's 401 or 403); ConfigCluster's own message stays in the audit log.
        public override Task WriteAsync(HttpContext context, int status, string message)
            => Result(status, status is StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden ? "permission denied" : message).ExecuteAsync(context);
    }
}
