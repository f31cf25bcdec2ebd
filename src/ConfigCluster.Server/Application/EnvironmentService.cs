using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Application;

/// <summary>One entry of a change-set as a caller describes it.</summary>
/// <param name="ValueJson">For a put: the JSON value; null for a delete.</param>
public sealed record ChangeSetEntry(KeyPath Path, string? ValueJson, bool Secret, long? ExpectedVersion, bool Mask = false);

/// <summary>The effective difference between two environments.</summary>
public sealed record EnvironmentDiff(IReadOnlyList<StoredVersion> Added, IReadOnlyList<StoredVersion> Removed, IReadOnlyList<(StoredVersion From, StoredVersion To)> Changed);

/// <summary>
/// Environments and their inheritance, effective views, diffs between environments, atomic
/// change-sets and promotion (a diff written as one change-set). Every key a multi-key
/// operation touches is checked for the caller (<see cref="ItemAccess"/>).
/// </summary>
public sealed partial class EnvironmentService(IVersionedStore store, WritePipeline pipeline, WriteBuilder builder, SecretSealer sealer, ItemAccess access)
{
    /// <summary>Sets (or, with no <paramref name="inherits"/>, clears) the environment an environment inherits from; returns its new chain.</summary>
    public async Task<Outcome<IReadOnlyList<string>>> SetInheritsAsync(string? ns, string env, string? inherits, CancellationToken token)
    {
        ns = Scopes.OrDefault(ns);
        if (!KeyPath.TryValidateScope(ns, "namespace", out var error) || !KeyPath.TryValidateScope(env, "environment", out error))
            return new ConfigError(ConfigErrorCode.InvalidArgument, error);
        var command = pipeline.NewCommand(null);
        command.SetEnvironment = new SetEnvironmentOp { Namespace = ns, Environment = env, Inherits = inherits ?? "" };
        var outcome = await pipeline.SubmitOnceAsync(command, token);
        if (outcome.Error is { } submitError)
            return submitError;
        if (await pipeline.CatchUpAsync(token) is { } barrierError)
            return barrierError;
        return Outcome<IReadOnlyList<string>>.From(store.InheritanceChain(ns, env));
    }

    /// <summary>Every key visible in an environment (its own values over inherited ones) that the caller may list, in key order; secrets stay sealed.</summary>
    public Task<SortedDictionary<string, StoredVersion>> EffectiveViewAsync(string ns, string env, string prefix, CancellationToken token)
        => ViewAsync(ns, env, prefix, key => access.Allows(Acl.Capability.List, ns, env, key), token);

    // The effective view restricted to the keys include accepts.
    private async Task<SortedDictionary<string, StoredVersion>> ViewAsync(string ns, string env, string prefix, Func<string, bool> include, CancellationToken token)
    {
        var view = new SortedDictionary<string, StoredVersion>(StringComparer.Ordinal);
        var chain = store.InheritanceChain(ns, env);
        // Farthest ancestor first, so nearer environments overwrite.
        for (var i = chain.Count - 1; i >= 0; i--)
        {
            string? after = null;
            do
            {
                var page = await store.ListAsync(ns, chain[i], prefix, after, ConfigService.MaxListLimit, includeDeleted: true, token);
                foreach (var item in page.Items.Where(item => include(item.Path.Key)))
                {
                    if (item.Operation == VersionKind.Mask)
                        view.Remove(item.Path.Key);
                    else if (!item.IsDeletion)
                        view[item.Path.Key] = item;
                }

                after = page.NextAfter;
            }
            while (after is not null);
        }

        return view;
    }
}
