using System.Text.Json;
using ConfigCluster.Core.Commands;

namespace ConfigCluster.Server.Faces.Vault;

internal static partial class VaultKvEndpoints
{
    private static async Task<IResult> ReadMetadataAsync(string mount, string? path, HttpRequest request, VaultKv kv, CancellationToken token)
    {
        if (IsListQuery(request) || string.IsNullOrEmpty(path?.Trim('/')))
            return await ListAsync(mount, path, request, kv, token);
        var (key, problem) = kv.Resolve(request, mount, path, "metadata");
        if (problem is not null)
            return problem;
        var view = await kv.ViewAsync(key!, token);
        if (view.Error is { } error)
            return VaultErrors.From(error);
        if (view.Value is not { } found)
            return VaultErrors.NotFound();
        var metadata = found.Metadata;
        var latest = found.Versions.Count > 0 ? found.Versions[^1].Timestamp : metadata?.UpdatedAt;
        var updated = metadata is not null && latest is { } l && metadata.UpdatedAt > l ? metadata.UpdatedAt : latest;
        return VaultResponse.Data(writer =>
        {
            writer.WriteStartObject();
            writer.WriteBoolean("cas_required", metadata?.CasRequired ?? false);
            writer.WriteString("created_time", VaultResponse.Time(metadata?.CreatedAt is { } c && (found.Versions.Count == 0 || c < found.Versions[0].Timestamp) ? c : found.Versions.FirstOrDefault()?.Timestamp));
            writer.WriteNumber("current_version", found.CurrentVersion);
            VaultKv.WriteCustomMetadata(writer, metadata);
            writer.WriteString("delete_version_after", "0s");
            writer.WriteNumber("max_versions", metadata?.MaxVersions ?? 0);
            writer.WriteNumber("oldest_version", found.OldestVisible);
            writer.WriteString("updated_time", VaultResponse.Time(updated));
            writer.WriteStartObject("versions");
            foreach (var version in found.Versions)
            {
                writer.WriteStartObject(version.Version.ToString(System.Globalization.CultureInfo.InvariantCulture));
                writer.WriteString("created_time", VaultResponse.Time(version.Timestamp));
                writer.WriteString("deletion_time", VaultResponse.Time(version.DeletedAt));
                writer.WriteBoolean("destroyed", version.Destroyed);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        });
    }

    private static bool IsListQuery(HttpRequest request)
        => request.Query.TryGetValue("list", out var list) && list.ToString() is "true" or "1";

    private static async Task<IResult> ListAsync(string mount, string? path, HttpRequest request, VaultKv kv, CancellationToken token)
    {
        if (kv.Mounts.Find(mount) is not { } found)
            return VaultErrors.NoRoute($"{mount}/metadata/{path}");
        VaultKey? key = null;
        if (!string.IsNullOrEmpty(path?.Trim('/')))
        {
            var (resolved, problem) = kv.Resolve(request, mount, path, "metadata");
            if (problem is not null)
                return problem;
            key = resolved;
        }

        var ns = VaultKv.Namespace(request);
        if (ns is not null && !Core.Keys.KeyPath.TryValidateScope(ns, "namespace", out var invalid))
            return VaultErrors.BadRequest(invalid);
        var children = await kv.ListAsync(ns, key, found, token);
        if (children.Error is { } error)
            return VaultErrors.From(error);
        if (children.Value!.Count == 0)
            return VaultErrors.NotFound();
        return VaultResponse.Data(writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("keys");
            foreach (var child in children.Value)
                writer.WriteStringValue(child);
            writer.WriteEndArray();
            writer.WriteEndObject();
        });
    }

    private static async Task<IResult> WriteMetadataAsync(string mount, string? path, HttpRequest request, VaultKv kv, CancellationToken token)
    {
        var (key, problem) = kv.Resolve(request, mount, path, "metadata");
        if (problem is not null)
            return problem;
        var (body, bodyProblem) = await VaultBody.ReadAsync(request, token);
        if (bodyProblem is not null)
            return bodyProblem;
        using (body)
        {
            var root = body!.RootElement;
            var op = new KvMetadataOp { Key = key!.Path.ToStoreKey() };
            if (!VaultBody.TryLong(root, "max_versions", out var maxVersions) || maxVersions < 0)
                return VaultErrors.BadRequest("max_versions must be a whole number, 0 or more");
            if (!VaultBody.TryBool(root, "cas_required", out var casRequired))
                return VaultErrors.BadRequest("cas_required must be true or false");
            if (!VaultBody.TryDuration(root, "delete_version_after", out var deleteAfter) || deleteAfter > TimeSpan.Zero)
                return VaultErrors.BadRequest("delete_version_after is not supported (only 0s)");
            if (maxVersions is { } max)
            {
                op.HasMaxVersions = true;
                op.MaxVersions = max;
            }

            if (casRequired is { } required)
            {
                op.HasCasRequired = true;
                op.CasRequired = required;
            }

            if (root.TryGetProperty("custom_metadata", out var custom) && custom.ValueKind != JsonValueKind.Null)
            {
                if (custom.ValueKind != JsonValueKind.Object || custom.EnumerateObject().Any(static p => p.Value.ValueKind != JsonValueKind.String))
                    return VaultErrors.BadRequest("custom_metadata must be an object of string values");
                op.HasCustomMetadata = true;
                foreach (var property in custom.EnumerateObject())
                    op.CustomMetadata[property.Name] = property.Value.GetString()!;
            }

            return await kv.MetadataAsync(op, token) is { } failed ? VaultErrors.From(failed) : VaultResponse.NoContent();
        }
    }

    private static async Task<IResult> DeleteMetadataAsync(string mount, string? path, HttpRequest request, VaultKv kv, CancellationToken token)
    {
        var (key, problem) = kv.Resolve(request, mount, path, "metadata");
        if (problem is not null)
            return problem;
        return await kv.VersionsAsync(key!, KvVersionAction.DestroyAll, [], token) is { } failed ? VaultErrors.From(failed) : VaultResponse.NoContent();
    }

    private static IResult ReadConfig(string mount, VaultKv kv)
    {
        if (kv.Mounts.Find(mount) is not { } found)
            return VaultErrors.NoRoute($"{mount}/config");
        return VaultResponse.Data(writer =>
        {
            writer.WriteStartObject();
            writer.WriteBoolean("cas_required", found.CasRequired);
            writer.WriteString("delete_version_after", "0s");
            writer.WriteNumber("max_versions", found.MaxVersions);
            writer.WriteEndObject();
        });
    }

    private static async Task<IResult> WriteConfigAsync(string mount, HttpRequest request, VaultKv kv, CancellationToken token)
    {
        if (kv.Mounts.Find(mount) is not { } found)
            return VaultErrors.NoRoute($"{mount}/config");
        var (body, bodyProblem) = await VaultBody.ReadAsync(request, token);
        if (bodyProblem is not null)
            return bodyProblem;
        using (body)
        {
            var root = body!.RootElement;
            if (!VaultBody.TryLong(root, "max_versions", out var maxVersions) || maxVersions < 0)
                return VaultErrors.BadRequest("max_versions must be a whole number, 0 or more");
            if (!VaultBody.TryBool(root, "cas_required", out var casRequired))
                return VaultErrors.BadRequest("cas_required must be true or false");
            if (!VaultBody.TryDuration(root, "delete_version_after", out var deleteAfter) || deleteAfter > TimeSpan.Zero)
                return VaultErrors.BadRequest("delete_version_after is not supported (only 0s)");
            var op = new KvMountOp
            {
                Name = found.Name,
                Mode = KvMountMode.Tune,
                Description = found.Description,
                MaxVersions = maxVersions ?? found.MaxVersions,
                CasRequired = casRequired ?? found.CasRequired,
            };
            return await kv.MountAsync(op, notFoundIsSuccess: false, token) is { } failed ? VaultErrors.From(failed) : VaultResponse.NoContent();
        }
    }
}
