using System.Text.Json;
using ConfigCluster.Core.Crypto;
using ConfigCluster.Server.Acl;
using ConfigCluster.Server.Secrets;

namespace ConfigCluster.Server.Http;

/// <summary>
/// Master key rotation (admin): <c>POST /v1/sys/rotate-master</c> with <c>{"key": "NEW"}</c>
/// re-wraps the whole keyring under the new key through the log (this node switches to it);
/// <c>POST /v1/sys/rotate-master/prepare</c> with the same body gives the new key to one node
/// ahead of the rotation, so it switches without sealing. A node given neither seals itself when
/// the rotation reaches it and is unsealed with the new key (<c>POST /v1/sys/unseal</c>).
/// <c>GET /v1/sys/rotate-master</c> tells which master key the keyring is wrapped under.
/// </summary>
internal static class MasterKeyEndpoints
{
    public static void MapMasterKeyEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/v1/sys/rotate-master", static (MasterKeyRotation rotation, SecretKeyring keyring) => Answer(rotation.Status(), keyring)).RequireAdmin("sys.master-key.read");
        routes.MapPost("/v1/sys/rotate-master", RotateAsync).RequireAdmin("sys.master-key.rotate");
        routes.MapPost("/v1/sys/rotate-master/prepare", PrepareAsync).RequireAdmin("sys.master-key.prepare");
    }

    private static async Task<IResult> RotateAsync(HttpRequest request, MasterKeyRotation rotation, SecretKeyring keyring, CancellationToken token)
    {
        var (key, problem) = await ReadKeyAsync(request, token);
        if (key is null)
            return problem!;
        var outcome = await rotation.RotateAsync(key, token);
        return outcome.Error is { } error ? HttpErrors.ToResult(error) : Answer(outcome.Value!, keyring);
    }

    private static async Task<IResult> PrepareAsync(HttpRequest request, MasterKeyRotation rotation, SecretKeyring keyring, CancellationToken token)
    {
        var (key, problem) = await ReadKeyAsync(request, token);
        return key is null ? problem! : Answer(rotation.Prepare(key), keyring);
    }

    // {"key": "<base64 of 32 bytes>"}; the message of a refusal never holds key material.
    private static async Task<(MasterKey? Key, IResult? Problem)> ReadKeyAsync(HttpRequest request, CancellationToken token)
    {
        string? text = null;
        try
        {
            using var body = await JsonDocument.ParseAsync(request.Body, cancellationToken: token);
            if (body.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.TryGetProperty("key", out var value) && value.ValueKind == JsonValueKind.String)
                text = value.GetString();
        }
        catch (JsonException)
        {
            // Reported below.
        }

        if (text is null)
            return (null, HttpErrors.BadRequest("body must be a JSON object like {\"key\": \"<new master key, base64 of 32 bytes>\"}"));
        return MasterKey.TryParse(text, out var key, out var error) ? (key, null) : (null, HttpErrors.BadRequest($"key: {error}"));
    }

    private static IResult Answer(MasterKeyStatus status, SecretKeyring keyring) => Results.Ok(new
    {
        keyCheck = status.KeyCheck,
        generation = status.Generation,
        rotatedAt = status.RotatedAt?.UtcDateTime,
        dataKeys = status.DataKeys,
        transitKeyVersions = status.TransitKeyVersions,
        stagedKeyCheck = keyring.StagedKeyCheck,
        @sealed = keyring.SealedReason is not null,
    });
}
