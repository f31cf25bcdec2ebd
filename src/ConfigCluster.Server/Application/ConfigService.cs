using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Application;

/// <summary>
/// The one place both edges (gRPC and HTTP) go through for single keys. Reads: read barrier
/// unless serializable, then the local store. Writes (see ConfigService.Writes.cs): validate,
/// build, then <see cref="WritePipeline"/>. The edge has already checked access to the key.
/// </summary>
public sealed partial class ConfigService(IVersionedStore store, WritePipeline pipeline, WriteBuilder builder, SecretSealer sealer, IReadBarrier barrier, ItemAccess access)
{
    /// <summary>Default and largest page size of a listing.</summary>
    public const int DefaultListLimit = 1000, MaxListLimit = 10_000;

    /// <summary>This node's store.</summary>
    public IVersionedStore Store => store;

    /// <summary>A version of a key (0: the effective latest, inherited when the environment has none), with a secret opened.</summary>
    public async Task<Outcome<StoredVersion>> GetAsync(KeyPath path, long version, ReadConsistency consistency, CancellationToken token)
    {
        if (version < 0)
            return new ConfigError(ConfigErrorCode.InvalidArgument, "version must be 1 or more");
        if (await barrier.WaitAsync(consistency, token) is { } error)
            return error;
        var found = version > 0 ? await store.GetAsync(path, version, token) : await ResolveEffectiveAsync(path, token);
        if (found is null)
            return new ConfigError(ConfigErrorCode.NotFound, version > 0 ? $"key '{path.Key}' has no version {version}" : $"key '{path.Key}' not found");
        if (version == 0 && found.IsDeletion)
            return new ConfigError(ConfigErrorCode.NotFound, $"key '{path.Key}' not found ({(found.Operation == VersionKind.Mask ? "masked" : "deleted")} in '{found.Path.Environment}' at version {found.Version})");
        if (found.IsHidden)
            return new ConfigError(ConfigErrorCode.NotFound, $"version {found.Version} of key '{path.Key}' was {(found.Destroyed ? "destroyed" : "deleted")} (Vault KV v2)");
        if (!found.Secret || found.IsDeletion)
            return found;

        // The one place a secret is decrypted for a reader: an explicit read of the key. An
        // inherited one opens with the path it was sealed under (found.Path), not the one asked for.
        var plaintext = sealer.Open(found);
        return plaintext.Error is { } openError ? openError : found with { Value = plaintext.Value };
    }

    /// <summary>
    /// The effective latest version of a key in an environment: its own when live, else the
    /// nearest ancestor's; a mask stops the search (and is returned). Null when none has it.
    /// </summary>
    public async Task<StoredVersion?> ResolveEffectiveAsync(KeyPath path, CancellationToken token)
    {
        StoredVersion? tombstone = null;
        foreach (var env in store.InheritanceChain(path.Namespace, path.Environment))
        {
            if (!KeyPath.TryCreate(path.Namespace, env, path.Key, out var candidate, out _) || await store.GetAsync(candidate, 0, token) is not { } head)
                continue;
            if (!head.IsDeletion || head.Operation == VersionKind.Mask)
                return head;
            tombstone ??= head;
        }

        return tombstone;
    }

    /// <summary>Every kept version of a key, oldest first.</summary>
    public async Task<Outcome<IReadOnlyList<StoredVersion>>> HistoryAsync(KeyPath path, ReadConsistency consistency, CancellationToken token)
    {
        if (await barrier.WaitAsync(consistency, token) is { } error)
            return error;
        var versions = await store.HistoryAsync(path, token);
        return versions.Count == 0 ? new ConfigError(ConfigErrorCode.NotFound, $"key '{path.Key}' not found") : Outcome<IReadOnlyList<StoredVersion>>.From(versions);
    }

    /// <summary>One page of an environment's own keys, only those the caller may list.</summary>
    public async Task<Outcome<ListPage>> ListAsync(string? ns, string? env, string? prefix, string? after, int limit, bool includeDeleted, ReadConsistency consistency, CancellationToken token)
    {
        ns = Scopes.OrDefault(ns);
        env = Scopes.OrDefault(env);
        if (!KeyPath.TryValidateScope(ns, "namespace", out var invalid) || !KeyPath.TryValidateScope(env, "environment", out invalid)
            || !KeyPath.TryValidatePrefix(prefix, out invalid) || !KeyPath.TryValidatePrefix(after, out invalid))
            return new ConfigError(ConfigErrorCode.InvalidArgument, invalid);
        if (limit < 0 || limit > MaxListLimit)
            return new ConfigError(ConfigErrorCode.InvalidArgument, $"limit must be between 1 and {MaxListLimit}");
        if (await barrier.WaitAsync(consistency, token) is { } error)
            return error;
        var page = await store.ListAsync(ns, env, prefix ?? "", after, limit == 0 ? DefaultListLimit : limit, includeDeleted, token);
        return page with { Items = [.. page.Items.Where(item => access.Allows(Acl.Capability.List, ns, env, item.Path.Key))] };
    }

    /// <summary>Waits until this node has applied everything committed so far (a read barrier).</summary>
    public Task<ConfigError?> CatchUpAsync(CancellationToken token) => barrier.WaitAsync(ReadConsistency.Linearizable, token);

    /// <summary>Builds a command stamped with this node's time and the caller (see <see cref="WritePipeline.NewCommand"/>).</summary>
    public Command NewCommand(string? requestId) => pipeline.NewCommand(requestId);

    /// <summary>Commits an administrative command as is; the caller reads its result code.</summary>
    public Task<Outcome<CommandResult>> SubmitRawAsync(Command command, CancellationToken token) => pipeline.SubmitRawAsync(command, token);
}
