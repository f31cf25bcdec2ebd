using System.Text.Json;
using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Server.Application;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Faces.Vault;

/// <summary>A resolved KV v2 path: its mount and the ConfigCluster key it is.</summary>
internal sealed record VaultKey(StoredKvMount Mount, KeyPath Path);

/// <summary>
/// One key's KV v2 view: its live versions (put or rollback versions inside the window the key's
/// <c>max_versions</c> leaves visible), its Vault metadata, and the latest version number.
/// </summary>
internal sealed record VaultKeyView(VaultKey Key, long CurrentVersion, long OldestVisible, IReadOnlyList<StoredVersion> Versions, StoredKvKey? Metadata)
{
    /// <summary>A visible version by number, or null.</summary>
    public StoredVersion? Find(long version) => Versions.FirstOrDefault(v => v.Version == version);
}

/// <summary>
/// The Vault KV v2 face over the one store: every version is a ConfigCluster version of the key
/// <c>MOUNT/PATH</c>, written as a secret (sealed before the log) whose value is the JSON of
/// <c>data</c>. Writes go through <see cref="ConfigService"/>'s pipeline; soft delete, undelete,
/// destroy and metadata are their own replicated commands.
/// </summary>
internal sealed class VaultKv(ConfigService config, VaultMounts mounts, SecretSealer sealer)
{
    /// <summary>The store's service (reads, the write pipeline).</summary>
    public ConfigService Config => config;

    /// <summary>The mounts.</summary>
    public VaultMounts Mounts => mounts;

    /// <summary>The ConfigCluster namespace a request names in <c>X-Vault-Namespace</c> (null: <c>default</c>).</summary>
    public static string? Namespace(HttpRequest request)
        => request.Headers[Acl.AccessScope.VaultNamespaceHeader] is [{ Length: > 0 } value] && value.Trim('/') is { Length: > 0 } trimmed ? trimmed : null;

    /// <summary>The mount and key a request names, or Vault's 404 (no such mount) / 400 (bad path or namespace).</summary>
    public (VaultKey? Key, IResult? Problem) Resolve(HttpRequest request, string mount, string? path, string operation)
    {
        if (mounts.Find(mount) is not { } found)
            return (null, VaultErrors.NoRoute($"{mount}/{operation}/{path}"));
        var trimmed = (path ?? "").Trim('/');
        if (trimmed.Length == 0)
            return (null, VaultErrors.BadRequest("missing path"));
        if (!KeyPath.TryCreate(Namespace(request), null, $"{mount}/{trimmed}", out var key, out var error))
            return (null, VaultErrors.BadRequest(error));
        return (new VaultKey(found, key), null);
    }

    /// <summary>The key's KV view after a read barrier; null when the key does not exist (never written, or its metadata deleted).</summary>
    public async Task<Outcome<VaultKeyView?>> ViewAsync(VaultKey key, CancellationToken token)
    {
        if (await config.CatchUpAsync(token) is { } error)
            return error;
        // Only the versions the key's max_versions leaves visible are read (10 by default), not its whole history.
        var latest = await config.Store.GetAsync(key.Path, 0, token);
        if (latest is null || latest.IsDeletion)
            return Outcome<VaultKeyView?>.From(null);
        var current = latest.Version;
        var metadata = config.Store.FindKvKey(key.Path);
        var oldest = Math.Max(1, current - VaultMounts.MaxVersions(key.Mount, metadata) + 1);
        var visible = new List<StoredVersion>();
        for (var v = oldest; v < current; v++)
        {
            // Versions removed by retention read as null; tombstones are not KV versions.
            if (await config.Store.GetAsync(key.Path, v, token) is { IsDeletion: false } version)
                visible.Add(version);
        }

        visible.Add(latest);
        return new VaultKeyView(key, current, visible.Count > 0 ? visible[0].Version : current, visible, metadata);
    }

    /// <summary>A version's plaintext <c>data</c> JSON (a plain, non-secret key's value as stored).</summary>
    public Outcome<byte[]> Open(StoredVersion version)
        => version.Secret ? sealer.Open(version) : version.Value.ToArray();

    /// <summary>Writes <c>data</c> as the key's next version (a secret), with Vault's check-and-set.</summary>
    public async Task<Outcome<StoredVersion>> WriteAsync(VaultKey key, string dataJson, long? cas, CancellationToken token)
    {
        var written = await config.PutAsync(key.Path, dataJson, secret: true, cas, requestId: null, token);
        if (written.Error is { } error)
            return error;
        if (await config.CatchUpAsync(token) is { } barrierError)
            return barrierError;
        return await config.Store.GetAsync(key.Path, written.Value!.Version, token) is { } version
            ? version
            : new ConfigError(ConfigErrorCode.Internal, "the written version could not be read back");
    }

    /// <summary>Soft-deletes, undeletes or destroys versions; a key that does not exist changes nothing (Vault answers 204 either way).</summary>
    public Task<ConfigError?> VersionsAsync(VaultKey key, KvVersionAction action, IEnumerable<long> versions, CancellationToken token)
    {
        var op = new KvVersionsOp { Key = key.Path.ToStoreKey(), Action = action };
        op.Versions.AddRange(versions);
        var command = config.NewCommand(null);
        command.KvVersions = op;
        return SubmitAsync(command, notFoundIsSuccess: true, token);
    }

    /// <summary>Sets the key's Vault metadata.</summary>
    public Task<ConfigError?> MetadataAsync(KvMetadataOp op, CancellationToken token)
    {
        var command = config.NewCommand(null);
        command.KvMetadata = op;
        return SubmitAsync(command, notFoundIsSuccess: false, token);
    }

    /// <summary>Creates, tunes or removes a mount.</summary>
    public Task<ConfigError?> MountAsync(KvMountOp op, bool notFoundIsSuccess, CancellationToken token)
    {
        var command = config.NewCommand(null);
        command.KvMount = op;
        return SubmitAsync(command, notFoundIsSuccess, token);
    }

    /// <summary>The direct children of a folder (<c>app/</c> for folders), only keys the caller may list; empty when none.</summary>
    public async Task<Outcome<IReadOnlyList<string>>> ListAsync(string? ns, VaultKey? key, StoredKvMount mount, CancellationToken token)
    {
        var prefix = key is null ? mount.Name + "/" : key.Path.Key + "/";
        var children = new SortedSet<string>(StringComparer.Ordinal);
        string? after = null;
        do
        {
            var page = await config.ListAsync(ns, null, prefix, after, ConfigService.MaxListLimit, includeDeleted: false, ReadConsistency.Linearizable, token);
            if (page.Error is { } error)
                return error;
            foreach (var item in page.Value!.Items)
            {
                var rest = item.Path.Key[prefix.Length..];
                var slash = rest.IndexOf('/', StringComparison.Ordinal);
                children.Add(slash < 0 ? rest : rest[..(slash + 1)]);
            }

            after = page.Value.NextAfter;
        }
        while (after is not null);
        return children.ToList();
    }

    /// <summary>Writes a version's Vault metadata object: created_time, custom_metadata, deletion_time, destroyed, version.</summary>
    public static void WriteVersionMetadata(Utf8JsonWriter writer, StoredVersion version, StoredKvKey? metadata)
    {
        writer.WriteStartObject();
        writer.WriteString("created_time", VaultResponse.Time(version.Timestamp));
        WriteCustomMetadata(writer, metadata);
        writer.WriteString("deletion_time", VaultResponse.Time(version.DeletedAt));
        writer.WriteBoolean("destroyed", version.Destroyed);
        writer.WriteNumber("version", version.Version);
        writer.WriteEndObject();
    }

    /// <summary>Writes <c>custom_metadata</c>: an object, or null when there is none (as Vault does).</summary>
    public static void WriteCustomMetadata(Utf8JsonWriter writer, StoredKvKey? metadata)
    {
        writer.WritePropertyName("custom_metadata");
        if (metadata is not { CustomMetadata.Count: > 0 })
        {
            writer.WriteNullValue();
            return;
        }

        writer.WriteStartObject();
        foreach (var (name, value) in metadata.CustomMetadata.OrderBy(static p => p.Key, StringComparer.Ordinal))
            writer.WriteString(name, value);
        writer.WriteEndObject();
    }

    private async Task<ConfigError?> SubmitAsync(Command command, bool notFoundIsSuccess, CancellationToken token)
    {
        var outcome = await config.SubmitRawAsync(command, token);
        if (outcome.Error is { } error)
            return error;
        if (WriteResults.ToError(outcome.Value!) is { } refused && !(notFoundIsSuccess && refused.Code == ConfigErrorCode.NotFound))
            return refused;
        return await config.CatchUpAsync(token);
    }
}
