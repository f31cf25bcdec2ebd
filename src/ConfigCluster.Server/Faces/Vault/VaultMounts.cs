using ConfigCluster.Storage;

namespace ConfigCluster.Server.Faces.Vault;

/// <summary>
/// The KV v2 mounts: <c>secret/</c> always (its options live in a record once tuned), plus those
/// added through <c>POST /v1/sys/mounts/NAME</c> (replicated records). A KV path <c>PATH</c> in
/// mount <c>M</c> is the ConfigCluster key <c>M/PATH</c> (namespace and environment <c>default</c>).
/// </summary>
public sealed class VaultMounts(IVersionedStore store)
{
    /// <summary>The mount every node serves from the start.</summary>
    public const string DefaultMount = "secret";

    /// <summary>Versions Vault keeps per key when neither the key nor its mount says.</summary>
    public const long DefaultMaxVersions = 10;

    // Names whose routes belong to other faces or to Vault's system backends.
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal) { "sys", "auth", "transit", "kv", "txn", "identity", "cubbyhole", "v1", "database" };

    /// <summary>Whether <paramref name="name"/> may not be used for a KV mount.</summary>
    public static bool IsReserved(string name) => Reserved.Contains(name);

    /// <summary>The mount named <paramref name="name"/>, or null.</summary>
    public StoredKvMount? Find(string name)
        => store.KvMounts().TryGetValue(name, out var mount) ? mount
            : name == DefaultMount ? new StoredKvMount(DefaultMount, "key/value secret storage", 0, false, DateTimeOffset.UnixEpoch) : null;

    /// <summary>Every mount, by name.</summary>
    public IReadOnlyList<StoredKvMount> All()
    {
        var mounts = store.KvMounts().Values.ToList();
        if (!mounts.Any(static m => m.Name == DefaultMount))
            mounts.Add(Find(DefaultMount)!);
        return [.. mounts.OrderBy(static m => m.Name, StringComparer.Ordinal)];
    }

    /// <summary>How many versions of a key the Vault face shows: the key's setting, else its mount's, else 10.</summary>
    public static long MaxVersions(StoredKvMount mount, StoredKvKey? key)
        => key is { MaxVersions: > 0 } ? key.MaxVersions : mount.MaxVersions > 0 ? mount.MaxVersions : DefaultMaxVersions;
}
