using System.Text.Json;
using ConfigCluster.Core.Commands;
using ConfigCluster.Server.Acl;

namespace ConfigCluster.Server.Faces.Vault;

/// <summary>
/// Vault KV v2 under <c>/v1/MOUNT/...</c>: data, delete / undelete / destroy, metadata (and
/// <c>LIST</c>), config. Access: the path <c>MOUNT/PATH</c> is the key a ConfigCluster policy rule
/// matches (<c>secret/*</c>): read, write, delete and list as the table in README.md says.
/// </summary>
internal static partial class VaultKvEndpoints
{
    private const string Data = "/v1/{mount}/data/{**path}";
    private const string Metadata = "/v1/{mount}/metadata/{**path}";

    public static void MapVaultKvEndpoints(this IEndpointRouteBuilder routes)
    {
        var key = AccessScope.FromRoutePath(false, "mount", "path");
        var folder = AccessScope.FromRoutePath(true, "mount", "path");
        routes.MapGet(Data, ReadAsync).RequireAccess(Capability.Read, key, "vault.kv.read").WithAccessErrorShape(VaultErrors.Shape);
        routes.MapMethods(Data, ["POST", "PUT"], WriteAsync).RequireAccess(Capability.Write, key, "vault.kv.write").WithAccessErrorShape(VaultErrors.Shape);
        routes.MapDelete(Data, DeleteLatestAsync).RequireAccess(Capability.Delete, key, "vault.kv.delete").WithAccessErrorShape(VaultErrors.Shape);
        routes.MapPost("/v1/{mount}/delete/{**path}", (string mount, string? path, HttpRequest request, VaultKv kv, CancellationToken token) => VersionsAsync(mount, path, "delete", KvVersionAction.Delete, request, kv, token))
            .RequireAccess(Capability.Delete, key, "vault.kv.delete").WithAccessErrorShape(VaultErrors.Shape);
        routes.MapPost("/v1/{mount}/undelete/{**path}", (string mount, string? path, HttpRequest request, VaultKv kv, CancellationToken token) => VersionsAsync(mount, path, "undelete", KvVersionAction.Undelete, request, kv, token))
            .RequireAccess(Capability.Write, key, "vault.kv.undelete").WithAccessErrorShape(VaultErrors.Shape);
        routes.MapPost("/v1/{mount}/destroy/{**path}", (string mount, string? path, HttpRequest request, VaultKv kv, CancellationToken token) => VersionsAsync(mount, path, "destroy", KvVersionAction.Destroy, request, kv, token))
            .RequireAccess(Capability.Delete, key, "vault.kv.destroy").WithAccessErrorShape(VaultErrors.Shape);
        routes.MapGet(Metadata, ReadMetadataAsync).RequireAccess(Capability.Read, key, "vault.kv.metadata.read").WithAccessErrorShape(VaultErrors.Shape);
        routes.MapMethods(Metadata, ["LIST"], ListAsync).RequireAccess(Capability.List, folder, "vault.kv.list").WithAccessErrorShape(VaultErrors.Shape);
        routes.MapMethods(Metadata, ["POST", "PUT"], WriteMetadataAsync).RequireAccess(Capability.Write, key, "vault.kv.metadata.write").WithAccessErrorShape(VaultErrors.Shape);
        routes.MapDelete(Metadata, DeleteMetadataAsync).RequireAccess(Capability.Delete, key, "vault.kv.metadata.delete").WithAccessErrorShape(VaultErrors.Shape);
        routes.MapGet("/v1/{mount}/config", ReadConfig).RequireAdmin("vault.kv.config.read").WithAccessErrorShape(VaultErrors.Shape);
        routes.MapMethods("/v1/{mount}/config", ["POST", "PUT"], WriteConfigAsync).RequireAdmin("vault.kv.config.write").WithAccessErrorShape(VaultErrors.Shape);
    }

    private static async Task<IResult> ReadAsync(string mount, string? path, HttpRequest request, VaultKv kv, CancellationToken token)
    {
        var (key, problem) = kv.Resolve(request, mount, path, "data");
        if (problem is not null)
            return problem;
        long? version = null;
        if (request.Query.TryGetValue("version", out var text) && !string.IsNullOrEmpty(text) && text != "0")
        {
            if (!long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed))
                return VaultErrors.BadRequest("version must be a whole number");
            version = parsed;
        }

        var view = await kv.ViewAsync(key!, token);
        if (view.Error is { } error)
            return VaultErrors.From(error);
        if (view.Value is not { } found || found.Find(version ?? found.CurrentVersion) is not { } stored)
            return VaultErrors.NotFound();

        // Vault answers a deleted or destroyed version with 404 and the version's metadata.
        if (stored.IsHidden)
            return VaultResponse.Data(writer => WriteRead(writer, null, stored, found), StatusCodes.Status404NotFound);
        var plaintext = kv.Open(stored);
        if (plaintext.Error is { } openError)
            return VaultErrors.From(openError);
        return VaultResponse.Data(writer => WriteRead(writer, plaintext.Value, stored, found));
    }

    private static void WriteRead(Utf8JsonWriter writer, byte[]? data, Storage.StoredVersion version, VaultKeyView view)
    {
        writer.WriteStartObject();
        writer.WritePropertyName("data");
        if (data is null)
            writer.WriteNullValue();
        else
            writer.WriteRawValue(data, skipInputValidation: true);
        writer.WritePropertyName("metadata");
        VaultKv.WriteVersionMetadata(writer, version, view.Metadata);
        writer.WriteEndObject();
    }

    private static async Task<IResult> WriteAsync(string mount, string? path, HttpRequest request, VaultKv kv, CancellationToken token)
    {
        var (key, problem) = kv.Resolve(request, mount, path, "data");
        if (problem is not null)
            return problem;
        var (body, bodyProblem) = await VaultBody.ReadAsync(request, token);
        if (bodyProblem is not null)
            return bodyProblem;
        using (body)
        {
            var root = body!.RootElement;
            if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
                return VaultErrors.BadRequest("no data provided");
            long? cas = null;
            if (root.TryGetProperty("options", out var options) && options.ValueKind == JsonValueKind.Object && !VaultBody.TryLong(options, "cas", out cas))
                return VaultErrors.BadRequest("cas must be a whole number");
            if (cas < 0)
                return VaultErrors.BadRequest("cas must be 0 or more");
            var metadata = kv.Config.Store.FindKvKey(key!.Path);
            if (cas is null && (key.Mount.CasRequired || metadata is { CasRequired: true }))
                return VaultErrors.BadRequest("check-and-set parameter required for this call");

            var written = await kv.WriteAsync(key, data.GetRawText(), cas, token);
            if (written.Error is { } error)
                return VaultErrors.From(error);
            return VaultResponse.Data(writer => VaultKv.WriteVersionMetadata(writer, written.Value!, metadata));
        }
    }

    private static async Task<IResult> DeleteLatestAsync(string mount, string? path, HttpRequest request, VaultKv kv, CancellationToken token)
    {
        var (key, problem) = kv.Resolve(request, mount, path, "data");
        if (problem is not null)
            return problem;
        var view = await kv.ViewAsync(key!, token);
        if (view.Error is { } error)
            return VaultErrors.From(error);
        if (view.Value is not { } found)
            return VaultResponse.NoContent();
        return await kv.VersionsAsync(key!, KvVersionAction.Delete, [found.CurrentVersion], token) is { } failed ? VaultErrors.From(failed) : VaultResponse.NoContent();
    }

    private static async Task<IResult> VersionsAsync(string mount, string? path, string operation, KvVersionAction action, HttpRequest request, VaultKv kv, CancellationToken token)
    {
        var (key, problem) = kv.Resolve(request, mount, path, operation);
        if (problem is not null)
            return problem;
        var (body, bodyProblem) = await VaultBody.ReadAsync(request, token);
        if (bodyProblem is not null)
            return bodyProblem;
        using (body)
        {
            var versions = new List<long>();
            if (body!.RootElement.TryGetProperty("versions", out var list))
            {
                if (list.ValueKind != JsonValueKind.Array)
                    return VaultErrors.BadRequest("versions must be a list of version numbers");
                foreach (var item in list.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.Number && item.TryGetInt64(out var v) && v > 0)
                        versions.Add(v);
                    else if (item.ValueKind == JsonValueKind.String && long.TryParse(item.GetString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out v) && v > 0)
                        versions.Add(v);
                    else
                        return VaultErrors.BadRequest("versions must be a list of version numbers");
                }
            }

            if (versions.Count == 0)
                return VaultErrors.BadRequest("no version number provided");
            return await kv.VersionsAsync(key!, action, versions, token) is { } failed ? VaultErrors.From(failed) : VaultResponse.NoContent();
        }
    }
}
