using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Crypto;
using ConfigCluster.Core.Keys;
using ConfigCluster.Server.Acl;
using ConfigCluster.Server.Application;
using ConfigCluster.Server.Faces.Vault;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Faces.Transit;

/// <summary>
/// Vault's transit engine at <c>/v1/transit/</c>. A key <c>&lt;name&gt;</c> is named
/// <c>transit/&lt;name&gt;</c> in the policy system (namespace and environment <c>default</c>):
/// <c>read</c> reads its settings, decrypts and verifies; <c>write</c> creates, rotates, configures,
/// encrypts, rewraps, makes data keys and HMACs; <c>delete</c> deletes it; <c>list</c> lists keys
/// (names filtered by <c>list</c>); <c>read</c> on <c>transit/random</c> draws random bytes.
/// </summary>
internal static class TransitEndpoints
{
    /// <summary>The namespace and environment the policy system names transit keys in.</summary>
    public const string Scope = KeyPath.DefaultScope;

    /// <summary>The policy path of a key: <c>transit/&lt;name&gt;</c>.</summary>
    public const string PathPrefix = "transit/";

    /// <summary>Most random bytes drawn by one request (Vault's limit).</summary>
    public const int MaxRandomBytes = 128 * 1024;

    private static readonly string[] WriteMethods = ["POST", "PUT"];

    public static void MapTransitEndpoints(this IEndpointRouteBuilder routes)
    {
        var transit = routes.MapGroup("/v1/transit").WithAccessErrorShape(VaultErrors.Shape);
        AccessScope Key(string route = "name") => AccessScope.FixedWithKeyPrefix(Scope, Scope, PathPrefix, route);

        transit.MapMethods("/keys/{name}", WriteMethods, CreateAsync).RequireAccess(Capability.Write, Key(), "transit.keys.create");
        transit.MapGet("/keys/{name}", ReadAsync).RequireAccess(Capability.Read, Key(), "transit.keys.read");
        transit.MapDelete("/keys/{name}", DeleteAsync).RequireAccess(Capability.Delete, Key(), "transit.keys.delete");
        transit.MapMethods("/keys", ["LIST", "GET"], ListAsync).RequireAccess(Capability.List, AccessScope.Fixed(Scope, Scope, null), "transit.keys.list");
        transit.MapMethods("/keys/{name}/rotate", WriteMethods, RotateAsync).RequireAccess(Capability.Write, Key(), "transit.keys.rotate");
        transit.MapMethods("/keys/{name}/config", WriteMethods, ConfigureAsync).RequireAccess(Capability.Write, Key(), "transit.keys.config");
        transit.MapMethods("/encrypt/{name}", WriteMethods, EncryptAsync).RequireAccess(Capability.Write, Key(), "transit.encrypt");
        transit.MapMethods("/decrypt/{name}", WriteMethods, DecryptAsync).RequireAccess(Capability.Read, Key(), "transit.decrypt");
        transit.MapMethods("/rewrap/{name}", WriteMethods, RewrapAsync).RequireAccess(Capability.Write, Key(), "transit.rewrap");
        transit.MapMethods("/datakey/{kind}/{name}", WriteMethods, DataKeyAsync).RequireAccess(Capability.Write, Key(), "transit.datakey");
        transit.MapMethods("/hmac/{name}/{algorithm?}", WriteMethods, HmacAsync).RequireAccess(Capability.Write, Key(), "transit.hmac");
        transit.MapMethods("/verify/{name}/{algorithm?}", WriteMethods, VerifyAsync).RequireAccess(Capability.Read, Key(), "transit.verify");
        transit.MapMethods("/random/{bytes?}", WriteMethods, RandomAsync).RequireAccess(Capability.Read, AccessScope.FixedKey(Scope, Scope, PathPrefix + "random"), "transit.random");
    }

    private static async Task<IResult> CreateAsync(string name, HttpRequest request, TransitKeyring keys, CancellationToken token)
    {
        var (body, problem) = await PrepareAsync(name, request, keys, token);
        if (problem is not null)
            return problem;
        var root = body!.Root;
        var type = TransitRequest.String(root, "type") ?? TransitCipher.Aes256Gcm96;
        if (!FasterVersionedStore.TransitKeyTypes.Contains(type) || !TransitCipher.IsSupported(type))
            return VaultErrors.BadRequest($"unknown key type: {type} (this server makes aes256-gcm96 and chacha20-poly1305 keys)");
        if (Unsupported(root) is { } unsupported)
            return VaultErrors.BadRequest(unsupported);
        var outcome = await keys.CreateAsync(name, type, token);
        return outcome.Error is { } error ? VaultErrors.From(error) : KeyAnswer(outcome.Value!);
    }

    private static async Task<IResult> ReadAsync(string name, TransitKeyring keys, CancellationToken token)
    {
        if (!FasterVersionedStore.IsValidTransitKeyName(name))
            return VaultErrors.BadRequest("invalid key name");
        if (await keys.CatchUpAsync(token) is { } error)
            return VaultErrors.From(error);
        return keys.Find(name) is { } key ? KeyAnswer(key) : VaultErrors.Result(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> ListAsync(HttpRequest request, TransitKeyring keys, ItemAccess access, CancellationToken token)
    {
        if (HttpMethods.IsGet(request.Method) && request.Query["list"] is not ["true" or "1"])
            return VaultErrors.Result(StatusCodes.Status405MethodNotAllowed, "1 error occurred:\n\t* unsupported operation\n\n");
        if (await keys.CatchUpAsync(token) is { } error)
            return VaultErrors.From(error);
        var names = keys.Names().Where(name => access.Allows(Capability.List, Scope, Scope, PathPrefix + name)).ToList();
        if (names.Count == 0)
            return VaultErrors.Result(StatusCodes.Status404NotFound);
        return VaultResponse.DataObject(w =>
        {
            w.WriteStartArray("keys");
            foreach (var name in names)
                w.WriteStringValue(name);
            w.WriteEndArray();
        });
    }

    private static async Task<IResult> DeleteAsync(string name, TransitKeyring keys, CancellationToken token)
    {
        if (!FasterVersionedStore.IsValidTransitKeyName(name))
            return VaultErrors.BadRequest("invalid key name");
        return await keys.DeleteAsync(name, token) switch
        {
            null => VaultResponse.NoContent(),
            { Code: ConfigErrorCode.NotFound } => VaultErrors.BadRequest($"no existing key named {name} could be found"),
            { } error => VaultErrors.From(error),
        };
    }

    private static async Task<IResult> RotateAsync(string name, HttpRequest request, TransitKeyring keys, CancellationToken token)
    {
        var (_, problem) = await PrepareAsync(name, request, keys, token);
        if (problem is not null)
            return problem;
        var outcome = await keys.RotateAsync(name, token);
        return outcome.Error is { } error ? VaultErrors.From(error) : KeyAnswer(outcome.Value!);
    }

    private static async Task<IResult> ConfigureAsync(string name, HttpRequest request, TransitKeyring keys, CancellationToken token)
    {
        var (body, problem) = await PrepareAsync(name, request, keys, token);
        if (problem is not null)
            return problem;
        var root = body!.Root;
        if (Unsupported(root) is { } unsupported)
            return VaultErrors.BadRequest(unsupported);
        var configure = new TransitConfigureKeyOp { Name = name };
        if (!TransitRequest.TryLong(root, "min_decryption_version", -1, out var minDecryption) || !TransitRequest.TryLong(root, "min_encryption_version", -1, out var minEncryption)
            || !TransitRequest.TryBool(root, "deletion_allowed", out var deletionAllowed))
            return VaultErrors.BadRequest("min_decryption_version and min_encryption_version must be numbers, deletion_allowed a boolean");
        if (minDecryption >= 0)
            (configure.HasMinDecryptionVersion, configure.MinDecryptionVersion) = (true, minDecryption);
        if (minEncryption >= 0)
            (configure.HasMinEncryptionVersion, configure.MinEncryptionVersion) = (true, minEncryption);
        if (deletionAllowed is { } allowed)
            (configure.HasDeletionAllowed, configure.DeletionAllowed) = (true, allowed);
        var outcome = await keys.ConfigureAsync(configure, token);
        return outcome.Error is { } error ? VaultErrors.From(error) : KeyAnswer(outcome.Value!);
    }

    private static Task<IResult> EncryptAsync(string name, HttpRequest request, TransitKeyring keys, CancellationToken token)
        => RunAsync(name, request, keys, createIfMissing: true, static (ops, item) => ops.Encrypt(item), token);

    private static Task<IResult> DecryptAsync(string name, HttpRequest request, TransitKeyring keys, CancellationToken token)
        => RunAsync(name, request, keys, createIfMissing: false, static (ops, item) => ops.Decrypt(item), token);

    private static Task<IResult> RewrapAsync(string name, HttpRequest request, TransitKeyring keys, CancellationToken token)
        => RunAsync(name, request, keys, createIfMissing: false, static (ops, item) => ops.Rewrap(item), token);

    private static Task<IResult> HmacAsync(string name, string? algorithm, HttpRequest request, TransitKeyring keys, CancellationToken token)
        => RunAsync(name, request, keys, createIfMissing: false, (ops, item) => ops.Hmac(item, algorithm), token);

    private static Task<IResult> VerifyAsync(string name, string? algorithm, HttpRequest request, TransitKeyring keys, CancellationToken token)
        => RunAsync(name, request, keys, createIfMissing: false, (ops, item) => ops.Verify(item, algorithm), token);

    private static Task<IResult> DataKeyAsync(string kind, string name, HttpRequest request, TransitKeyring keys, CancellationToken token)
        => kind is "plaintext" or "wrapped"
            ? RunAsync(name, request, keys, createIfMissing: false, (ops, item) => ops.DataKey(item, withPlaintext: kind == "plaintext"), token)
            : Task.FromResult(VaultErrors.BadRequest("invalid type: must be \"plaintext\" or \"wrapped\""));

    private static async Task<IResult> RandomAsync(string? bytes, HttpRequest request, CancellationToken token)
    {
        var (body, bodyError) = await TransitRequest.ReadAsync(request, token);
        if (body is null)
            return VaultErrors.BadRequest(bodyError!);
        long count = 32;
        if (bytes is not null ? !long.TryParse(bytes, NumberStyles.None, CultureInfo.InvariantCulture, out count) : !TransitRequest.TryLong(body.Root, "bytes", 32, out count))
            return VaultErrors.BadRequest("bytes must be a number");
        if (count < 1 || count > MaxRandomBytes)
            return VaultErrors.BadRequest($"bytes must be between 1 and {MaxRandomBytes}");
        var format = TransitRequest.String(body.Root, "format") ?? "base64";
        if (format is not ("base64" or "hex"))
            return VaultErrors.BadRequest($"unsupported encoding format {format}; must be \"hex\" or \"base64\"");
        var random = RandomNumberGenerator.GetBytes((int)count);
        return VaultResponse.DataObject(w => w.WriteString("random_bytes", format == "hex" ? Convert.ToHexStringLower(random) : Convert.ToBase64String(random)));
    }

    // One operation over the body's item or batch_input: a bad item fails alone (its "error"), and
    // the answer is 400 when any failed (Vault's partial_failure_response_code default).
    private static async Task<IResult> RunAsync(string name, HttpRequest request, TransitKeyring keys, bool createIfMissing, Func<TransitOperations, JsonElement, ItemResult> operation, CancellationToken token)
    {
        var (body, problem) = await PrepareAsync(name, request, keys, token);
        if (problem is not null)
            return problem;
        if (keys.SealedReason is not null)
            return VaultErrors.Result(StatusCodes.Status503ServiceUnavailable, "Vault is sealed");
        var key = keys.Find(name);
        if (key is null && createIfMissing)
        {
            var type = TransitRequest.String(body!.Root, "type") ?? TransitCipher.Aes256Gcm96;
            if (!FasterVersionedStore.TransitKeyTypes.Contains(type) || !TransitCipher.IsSupported(type))
                return VaultErrors.BadRequest($"unknown key type: {type}");
            var created = await keys.CreateAsync(name, type, token);
            if (created.Error is { } createError)
                return VaultErrors.From(createError);
            key = created.Value;
        }

        if (key is null)
            return VaultErrors.BadRequest("encryption key not found");
        var operations = new TransitOperations(keys, key);
        if (!body!.IsBatch)
        {
            var single = operation(operations, body.Root);
            return single.Error is { } error ? VaultErrors.BadRequest(error) : VaultResponse.DataObject(single.Write!);
        }

        if (body.Items.Count == 0)
            return VaultErrors.BadRequest("missing batch input to process");
        var results = body.Items.Select(item => operation(operations, item)).ToList();
        return VaultResponse.DataObject(w =>
        {
            w.WriteStartArray("batch_results");
            foreach (var result in results)
            {
                w.WriteStartObject();
                if (result.Error is { } error)
                    w.WriteString("error", error);
                else
                    result.Write!(w);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }, results.Any(static r => r.Error is not null) ? StatusCodes.Status400BadRequest : StatusCodes.Status200OK);
    }

    // Checks the name, reads the body and brings this node up to date (key metadata is then current).
    private static async Task<(TransitRequest? Body, IResult? Problem)> PrepareAsync(string name, HttpRequest request, TransitKeyring keys, CancellationToken token)
    {
        if (!FasterVersionedStore.IsValidTransitKeyName(name))
            return (null, VaultErrors.BadRequest("invalid key name: use letters, digits, '_', '-' and '.'"));
        var (body, error) = await TransitRequest.ReadAsync(request, token);
        if (body is null)
            return (null, VaultErrors.BadRequest(error!));
        if (await keys.CatchUpAsync(token) is { } barrierError)
            return (null, VaultErrors.From(barrierError));
        return (body, null);
    }

    // The Vault key options this face does not offer: refused rather than ignored.
    private static string? Unsupported(JsonElement root)
    {
        foreach (var option in new[] { "exportable", "allow_plaintext_backup", "derived", "convergent_encryption" })
        {
            if (!TransitRequest.TryBool(root, option, out var value))
                return $"{option} must be a boolean";
            if (value == true)
                return $"{option} keys are not supported by this server";
        }

        return TransitRequest.TryLong(root, "auto_rotate_period", 0, out var period) && period == 0 ? null : "auto_rotate_period is not supported by this server";
    }

    // Vault's key read: settings, and each version's creation time (unix seconds); never material.
    private static IResult KeyAnswer(TransitKey key) => VaultResponse.DataObject(w =>
    {
        w.WriteString("name", key.Name);
        w.WriteString("type", key.Type);
        w.WriteStartObject("keys");
        foreach (var version in key.Versions)
            w.WriteNumber(version.Version.ToString(CultureInfo.InvariantCulture), version.CreatedAt.ToUnixTimeSeconds());
        w.WriteEndObject();
        w.WriteNumber("latest_version", key.LatestVersion);
        w.WriteNumber("min_available_version", 0);
        w.WriteNumber("min_decryption_version", key.MinDecryptionVersion);
        w.WriteNumber("min_encryption_version", key.MinEncryptionVersion);
        w.WriteBoolean("deletion_allowed", key.DeletionAllowed);
        w.WriteBoolean("derived", false);
        w.WriteBoolean("exportable", false);
        w.WriteBoolean("allow_plaintext_backup", false);
        w.WriteBoolean("imported_key", false);
        w.WriteNumber("auto_rotate_period", 0);
        w.WriteBoolean("supports_encryption", true);
        w.WriteBoolean("supports_decryption", true);
        w.WriteBoolean("supports_derivation", false);
        w.WriteBoolean("supports_signing", false);
    });
}
