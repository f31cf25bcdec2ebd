using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Server.Secrets;
using ConfigCluster.Storage;
using Google.Protobuf;

namespace ConfigCluster.Server.Application;

/// <summary>One entry of a change-set as a caller describes it.</summary>
/// <param name="ValueJson">For a put: the JSON value; null for a delete.</param>
public sealed record ChangeSetEntry(KeyPath Path, string? ValueJson, bool Secret, long? ExpectedVersion, bool Mask = false);

/// <summary>The effective difference between two environments.</summary>
public sealed record EnvironmentDiff(IReadOnlyList<StoredVersion> Added, IReadOnlyList<StoredVersion> Removed, IReadOnlyList<(StoredVersion From, StoredVersion To)> Changed);

/// <summary>
/// Environments and their inheritance, effective views, diffs between environments, atomic
/// change-sets and promotion (a diff written as one change-set).
/// </summary>
public sealed class EnvironmentService(ConfigService config, SecretKeyring keyring, Acl.PolicyEvaluator policies)
{
    private const int MaxRetries = 5;

    private IVersionedStore Store => config.Store;

    public async Task<Outcome<IReadOnlyList<string>>> SetInheritsAsync(string? ns, string env, string? inherits, CancellationToken token)
    {
        ns = string.IsNullOrEmpty(ns) ? KeyPath.DefaultScope : ns;
        if (!KeyPath.TryValidateScope(ns, "namespace", out var error) || !KeyPath.TryValidateScope(env, "environment", out error))
            return new ConfigError(ConfigErrorCode.InvalidArgument, error);
        var command = config.NewCommand(null);
        command.SetEnvironment = new SetEnvironmentOp { Namespace = ns, Environment = env, Inherits = inherits ?? "" };
        var outcome = await config.SubmitRawAsync(command, token);
        if (outcome.Error is { } submitError)
            return submitError;
        if (outcome.Value!.Code != ResultCode.ResultOk)
            return new ConfigError(ConfigErrorCode.InvalidArgument, outcome.Value.Message);
        if (await config.CatchUpAsync(token) is { } barrierError)
            return barrierError;
        return Outcome<IReadOnlyList<string>>.From(Store.InheritanceChain(ns, env));
    }

    /// <summary>Every key visible in an environment (its own values over inherited ones), in key order; secrets stay sealed.</summary>
    public SortedDictionary<string, StoredVersion> EffectiveView(string ns, string env, string prefix)
    {
        var view = new SortedDictionary<string, StoredVersion>(StringComparer.Ordinal);
        var chain = Store.InheritanceChain(ns, env);
        // Farthest ancestor first, so nearer environments overwrite.
        for (var i = chain.Count - 1; i >= 0; i--)
        {
            string? after = null;
            do
            {
                var page = Store.List(ns, chain[i], prefix, after, ConfigService.MaxListLimit, includeDeleted: true);
                foreach (var item in page.Items)
                {
                    if (Acl.CallerIdentity.Current is { } caller && !policies.IsAllowed(caller, Acl.Capability.List, ns, env, item.Path.Key))
                        continue;
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

    public EnvironmentDiff Diff(string ns, string from, string to, string prefix)
    {
        var source = EffectiveView(ns, from, prefix);
        var target = EffectiveView(ns, to, prefix);
        var added = target.Where(t => !source.ContainsKey(t.Key)).Select(t => t.Value).ToList();
        var removed = source.Where(s => !target.ContainsKey(s.Key)).Select(s => s.Value).ToList();
        var changed = new List<(StoredVersion, StoredVersion)>();
        foreach (var (key, fromVersion) in source)
        {
            if (target.TryGetValue(key, out var toVersion) && !SameValue(fromVersion, toVersion))
                changed.Add((fromVersion, toVersion));
        }

        return new EnvironmentDiff(added, removed, changed);
    }

    // Secrets are compared by fingerprint, never by opening them.
    private static bool SameValue(StoredVersion a, StoredVersion b)
        => a.Secret || b.Secret
            ? a.Secret == b.Secret && a.Fingerprint.Span.SequenceEqual(b.Fingerprint.Span)
            : a.Value.Span.SequenceEqual(b.Value.Span);

    /// <summary>Applies puts and deletes as one log entry: all or nothing, one revision.</summary>
    public async Task<Outcome<CommandResult>> ApplyChangeSetAsync(IReadOnlyList<ChangeSetEntry> entries, string? message, string? requestId, CancellationToken token)
    {
        if (entries.Count == 0 || entries.Count > FasterVersionedStore.MaxChangeSetItems)
            return new ConfigError(ConfigErrorCode.InvalidArgument, $"a change-set holds 1 to {FasterVersionedStore.MaxChangeSetItems} items");
        for (var attempt = 0; ; attempt++)
        {
            var changeSet = new ChangeSetOp { Message = message ?? "" };
            foreach (var entry in entries)
            {
                var item = await BuildItemAsync(entry, token);
                if (item.Error is { } itemError)
                    return itemError;
                changeSet.Items.Add(item.Value!);
            }

            var command = config.NewCommand(requestId);
            command.ChangeSet = changeSet;
            var outcome = await config.SubmitRawAsync(command, token);
            if (outcome.Error is { } error)
                return error;
            var result = outcome.Value!;
            switch (result.Code)
            {
                case ResultCode.ResultOk:
                    return result;
                case ResultCode.ResultRetry when attempt < MaxRetries:
                    if (await config.CatchUpAsync(token) is { } barrierError)
                        return barrierError;
                    continue; // rebuild from the caught-up state
                case ResultCode.ResultVersionMismatch:
                    return new ConfigError(ConfigErrorCode.VersionMismatch, result.Message) { CurrentVersion = result.CurrentVersion };
                case ResultCode.ResultNotFound:
                    return new ConfigError(ConfigErrorCode.NotFound, result.Message);
                default:
                    return new ConfigError(ConfigErrorCode.InvalidArgument, result.Message);
            }
        }
    }

    private async Task<Outcome<ChangeSetItem>> BuildItemAsync(ChangeSetEntry entry, CancellationToken token)
    {
        if (entry.ValueJson is null)
        {
            var delete = new DeleteOp { Key = entry.Path.ToStoreKey(), Mask = entry.Mask };
            if (entry.ExpectedVersion is { } expectedDelete)
            {
                delete.HasExpectedVersion = true;
                delete.ExpectedVersion = expectedDelete;
            }

            return new ChangeSetItem { Delete = delete };
        }

        var bytes = System.Text.Encoding.UTF8.GetBytes(entry.ValueJson);
        var put = new PutOp { Key = entry.Path.ToStoreKey(), Value = ByteString.CopyFrom(bytes), Secret = entry.Secret };
        if (entry.ExpectedVersion is { } expected)
        {
            put.HasExpectedVersion = true;
            put.ExpectedVersion = expected;
        }

        var head = Store.Get(entry.Path);
        var live = head is { IsDeletion: false };
        if ((live && head!.Secret) || (entry.Secret && !live))
        {
            var sealedValue = await config.SealForWriteAsync(entry.Path, bytes, (head?.Version ?? 0) + 1, token);
            if (sealedValue.Error is { } sealError)
                return sealError;
            put.Value = ByteString.CopyFrom(sealedValue.Value.Envelope);
            put.Fingerprint = ByteString.CopyFrom(sealedValue.Value.Fingerprint);
            put.Encrypted = true;
            put.SealedForVersion = (head?.Version ?? 0) + 1;
        }

        return new ChangeSetItem { Put = put };
    }

    /// <summary>
    /// Writes the keys whose effective value differs between <paramref name="from"/> and
    /// <paramref name="to"/> (optionally only <paramref name="keys"/>) into <paramref name="to"/> as one change-set.
    /// </summary>
    public async Task<Outcome<(CommandResult? Result, IReadOnlyList<string> Keys)>> PromoteAsync(string ns, string from, string to, string prefix, IReadOnlyCollection<string>? keys, string? message, CancellationToken token)
    {
        var diff = Diff(ns, to, from, prefix); // "added" = in from but not in to
        var candidates = diff.Added.Concat(diff.Changed.Select(static c => c.To))
            .Where(v => keys is null || keys.Contains(v.Path.Key))
            .OrderBy(static v => v.Path.Key, StringComparer.Ordinal)
            .ToList();
        if (candidates.Count == 0)
            return (null, Array.Empty<string>());

        var entries = new List<ChangeSetEntry>(candidates.Count);
        foreach (var source in candidates)
        {
            if (!KeyPath.TryCreate(ns, to, source.Path.Key, out var target, out var error))
                return new ConfigError(ConfigErrorCode.InvalidArgument, error);
            var value = source.Value;
            if (source.Secret)
            {
                if (!keyring.TryOpen(source.Value.Span, source.Path, source.Version, out var plaintext, out var openError))
                    return new ConfigError(keyring.SealedReason is null ? ConfigErrorCode.Internal : ConfigErrorCode.Sealed, openError);
                value = plaintext;
            }

            var own = Store.Get(target);
            var expected = own is null || own.IsDeletion ? 0 : own.Version;
            entries.Add(new ChangeSetEntry(target, System.Text.Encoding.UTF8.GetString(value.Span), source.Secret, expected));
        }

        var outcome = await ApplyChangeSetAsync(entries, message ?? $"promote {from} -> {to}", null, token);
        return outcome.Error is { } applyError ? applyError : (outcome.Value, entries.Select(static e => e.Path.Key).ToList());
    }
}
