using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Server.Acl;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Application;

public sealed partial class EnvironmentService
{
    /// <summary>
    /// Writes the keys whose effective value differs between <paramref name="from"/> and
    /// <paramref name="to"/> (optionally only <paramref name="keys"/>) into <paramref name="to"/> as
    /// one change-set. The caller needs read on every source key and write on every target key;
    /// secrets are opened only after that check.
    /// </summary>
    public async Task<Outcome<(CommandResult? Result, IReadOnlyList<string> Keys)>> PromoteAsync(string ns, string from, string to, string prefix, IReadOnlyCollection<string>? keys, string? message, CancellationToken token)
    {
        foreach (var key in keys ?? [])
        {
            if (!KeyPath.TryValidateKey(key, out var keyError))
                return new ConfigError(ConfigErrorCode.InvalidArgument, $"keys: {keyError}");
        }

        // The whole difference, not the caller's filtered view: a key the caller cannot see must
        // be refused by name, not silently left behind.
        static bool All(string key) => true;
        var diff = Compare(await ViewAsync(ns, to, prefix, All, token), await ViewAsync(ns, from, prefix, All, token)); // "added" = in from but not in to
        var candidates = diff.Added.Concat(diff.Changed.Select(static c => c.To))
            .Where(v => keys is null || keys.Contains(v.Path.Key))
            .OrderBy(static v => v.Path.Key, StringComparer.Ordinal)
            .ToList();
        if (candidates.Count == 0)
            return (null, Array.Empty<string>());

        var checks = candidates.SelectMany(source => new[]
        {
            new ItemAccessRequest(Capability.Read, ns, from, source.Path.Key),
            new ItemAccessRequest(Capability.Write, ns, to, source.Path.Key),
        });
        if (await access.RequireAsync("promote", checks, token) is { } refused)
            return refused;

        var entries = new List<ChangeSetEntry>(candidates.Count);
        foreach (var source in candidates)
        {
            var entry = await PromotedEntryAsync(ns, to, source, token);
            if (entry.Error is { } entryError)
                return entryError;
            entries.Add(entry.Value!);
        }

        var outcome = await SubmitChangeSetAsync(entries, message ?? $"promote {from} -> {to}", null, token);
        return outcome.Error is { } applyError ? applyError : (outcome.Value, entries.Select(static e => e.Path.Key).ToList());
    }

    // The target's entry: the source's value (a secret opened with the path it was sealed under), expecting the target's current version.
    private async Task<Outcome<ChangeSetEntry>> PromotedEntryAsync(string ns, string to, StoredVersion source, CancellationToken token)
    {
        if (!KeyPath.TryCreate(ns, to, source.Path.Key, out var target, out var error))
            return new ConfigError(ConfigErrorCode.InvalidArgument, error);
        var value = source.Value;
        if (source.Secret)
        {
            var plaintext = sealer.Open(source);
            if (plaintext.Error is { } openError)
                return openError;
            value = plaintext.Value;
        }

        var own = await store.GetAsync(target, 0, token);
        var expected = own is null || own.IsDeletion ? 0 : own.Version;
        return new ChangeSetEntry(target, System.Text.Encoding.UTF8.GetString(value.Span), source.Secret, expected);
    }
}
