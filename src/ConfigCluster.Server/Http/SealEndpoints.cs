using System.Text.Json;
using ConfigCluster.Server.Acl;
using ConfigCluster.Server.Secrets;

namespace ConfigCluster.Server.Http;

/// <summary>
/// Sealing this node the Vault way: <c>POST /v1/sys/seal</c> (admin; the node forgets its master
/// key at once and serves no secret) and <c>POST /v1/sys/unseal</c> with <c>{"key": "..."}</c>
/// (the master key, or one key share per call; <c>{"reset": true}</c> forgets shares given so far).
/// Unseal needs no token, as in Vault: the key or shares are the proof. Answers carry Vault's
/// seal-status fields (<c>sealed</c>, <c>t</c>, <c>n</c>, <c>progress</c>).
/// </summary>
internal static class SealEndpoints
{
    public static void MapSealEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/v1/sys/seal", static (SecretKeyring keyring) =>
        {
            keyring.Seal("sealed by an operator (POST /v1/sys/seal)");
            return Results.NoContent();
        }).RequireAdmin("sys.seal");
        routes.MapPost("/v1/sys/unseal", UnsealAsync).AllowAnonymousAccess();
    }

    private static async Task<IResult> UnsealAsync(HttpRequest request, Unsealing unsealing, CancellationToken token)
    {
        string? key = null;
        var reset = false;
        try
        {
            using var body = await JsonDocument.ParseAsync(request.Body, cancellationToken: token);
            if (body.RootElement.ValueKind != JsonValueKind.Object)
                return Error("the body must be a JSON object");
            if (body.RootElement.TryGetProperty("reset", out var resetValue))
            {
                if (resetValue.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    return Error("reset must be true or false");
                reset = resetValue.GetBoolean();
            }

            if (body.RootElement.TryGetProperty("key", out var keyValue))
            {
                if (keyValue.ValueKind != JsonValueKind.String)
                    return Error("key must be a string");
                key = keyValue.GetString();
            }
        }
        catch (JsonException)
        {
            return Error("the body is not JSON");
        }

        if (reset)
        {
            unsealing.Reset();
            return Answer(unsealing.Status);
        }

        if (string.IsNullOrWhiteSpace(key))
            return Error("missing required 'key' parameter");
        var (status, error) = unsealing.Submit(key);
        return error is null ? Answer(status!) : Error(error);
    }

    private static IResult Answer(UnsealStatus status) => Results.Json(new
    {
        type = "shamir",
        initialized = true,
        @sealed = status.Sealed,
        t = status.Threshold,
        n = status.Count,
        progress = status.Progress,
        nonce = "",
    });

    // Vault's error shape; the message never holds key material.
    private static IResult Error(string message) => Results.Json(new { errors = new[] { message } }, statusCode: StatusCodes.Status400BadRequest);
}
