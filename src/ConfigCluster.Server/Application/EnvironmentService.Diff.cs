using ConfigCluster.Storage;

namespace ConfigCluster.Server.Application;

public sealed partial class EnvironmentService
{
    /// <summary>
    /// The effective difference between two environments. The caller needs <c>list</c> in both;
    /// a key shows only when the caller may list it on both sides (else its absence on one side
    /// would tell what the caller may not see).
    /// </summary>
    public async Task<Outcome<EnvironmentDiff>> DiffAsync(string ns, string from, string to, string prefix, CancellationToken token)
    {
        foreach (var env in new[] { from, to })
        {
            if (await access.RequireScopeAsync("diff", Acl.Capability.List, ns, env, token) is { } refused)
                return refused;
        }

        bool Visible(string key) => access.Allows(Acl.Capability.List, ns, from, key) && access.Allows(Acl.Capability.List, ns, to, key);
        var source = await ViewAsync(ns, from, prefix, Visible, token);
        var target = await ViewAsync(ns, to, prefix, Visible, token);
        return Compare(source, target);
    }

    // Added: only in target; removed: only in source; changed: in both with different values.
    private static EnvironmentDiff Compare(SortedDictionary<string, StoredVersion> source, SortedDictionary<string, StoredVersion> target)
    {
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
}
