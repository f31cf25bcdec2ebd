using ConfigCluster.Contracts.V1;

namespace ConfigCluster.Client;

/// <summary>One change seen by a watch.</summary>
/// <param name="Key">The changed key.</param>
/// <param name="Environment">The environment the change was made in (an ancestor's, for an inherited change).</param>
/// <param name="ValueJson">The new value as JSON; null for deletions and for secrets (read a secret with an explicit get).</param>
/// <param name="Version">The key's new version.</param>
/// <param name="Revision">The global revision of the change; several changes share one when made as a change-set.</param>
/// <param name="Operation">Put, delete, rollback or mask.</param>
/// <param name="Secret">Whether the key is secret.</param>
/// <param name="Author">Who made the change (the token's name).</param>
public sealed record ConfigChange(string Key, string Environment, string? ValueJson, long Version, long Revision, Operation Operation, bool Secret, string Author)
{
    internal static ConfigChange From(KeyValue kv) => new(
        kv.Path?.Key ?? "", kv.Path?.Environment ?? "", kv.ValueJson.Length == 0 ? null : kv.ValueJson, kv.Version, kv.Revision, kv.Operation, kv.Secret, kv.Author);
}
