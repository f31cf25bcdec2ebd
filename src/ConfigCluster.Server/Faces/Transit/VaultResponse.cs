using System.Text.Json;
using ConfigCluster.Server.Acl;
using ConfigCluster.Server.Application;
using ConfigCluster.Server.Http;

namespace ConfigCluster.Server.Faces.Transit;

/// <summary>
/// Vault's answer shapes for the transit face: <c>{"request_id", "lease_id", "renewable",
/// "lease_duration", "data": {...}, "wrap_info", "warnings", "auth"}</c> for data, <c>{"errors":
/// [...]}</c> for failures, 204 without a body where Vault gives none.
/// </summary>
internal static class VaultResponse
{
    /// <summary>An answer with a <c>data</c> object written by <paramref name="writeData"/>.</summary>
    public static IResult Data(Action<Utf8JsonWriter> writeData, int status = StatusCodes.Status200OK)
        => new JsonResult(status, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("request_id", Guid.NewGuid().ToString());
            writer.WriteString("lease_id", "");
            writer.WriteBoolean("renewable", false);
            writer.WriteNumber("lease_duration", 0);
            writer.WriteStartObject("data");
            writeData(writer);
            writer.WriteEndObject();
            writer.WriteNull("wrap_info");
            writer.WriteNull("warnings");
            writer.WriteNull("auth");
            writer.WriteEndObject();
        });

    /// <summary><c>{"errors": [...]}</c> with <paramref name="status"/>.</summary>
    public static IResult Errors(int status, params string[] errors)
        => new JsonResult(status, writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("errors");
            foreach (var error in errors)
                writer.WriteStringValue(error);
            writer.WriteEndArray();
            writer.WriteEndObject();
        });

    /// <summary>400 with one message (Vault's answer to bad input).</summary>
    public static IResult BadRequest(string message) => Errors(StatusCodes.Status400BadRequest, message);

    /// <summary>A ConfigCluster error in Vault's shape and codes.</summary>
    public static IResult Error(ConfigError error) => error.Code switch
    {
        ConfigErrorCode.InvalidArgument or ConfigErrorCode.VersionMismatch or ConfigErrorCode.FailedPrecondition => BadRequest(error.Message),
        ConfigErrorCode.NotFound => Errors(StatusCodes.Status404NotFound, error.Message),
        ConfigErrorCode.TooLarge => Errors(StatusCodes.Status413PayloadTooLarge, error.Message),
        ConfigErrorCode.PermissionDenied => Errors(StatusCodes.Status403Forbidden, "permission denied"),
        ConfigErrorCode.Sealed => Errors(StatusCodes.Status503ServiceUnavailable, "Vault is sealed"),
        ConfigErrorCode.Unavailable or ConfigErrorCode.Ambiguous or ConfigErrorCode.Retry => Errors(StatusCodes.Status503ServiceUnavailable, error.Message),
        _ => Errors(StatusCodes.Status500InternalServerError, "internal error"),
    };

    /// <summary>204 No Content.</summary>
    public static IResult NoContent() => Results.StatusCode(StatusCodes.Status204NoContent);
}

/// <summary>
/// Vault's access errors: 403 <c>{"errors":["permission denied"]}</c> without the capability; a
/// missing or unknown token keeps ConfigCluster's 401 (Vault answers 403 there) in Vault's shape.
/// </summary>
internal sealed class VaultAccessErrorShape : AccessErrorShape
{
    public static readonly VaultAccessErrorShape Instance = new();

    public override Task WriteAsync(HttpContext context, int status, string message)
        => VaultResponse.Errors(status, status is StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden ? "permission denied" : message).ExecuteAsync(context);
}
