using ConfigCluster.Core.Keys;

namespace ConfigCluster.Storage;

/// <summary>What a version records about a change.</summary>
public enum VersionKind
{
    Put = 1,
    Delete = 2,
    Rollback = 3,

    /// <summary>Hides the key in its environment, including any inherited value.</summary>
    Mask = 4,
}

/// <summary>One version of a key, as read from the store.</summary>
/// <param name="Value">Value bytes as stored (UTF-8 JSON; ciphertext for secrets); empty for a deletion.</param>
/// <param name="RolledBackFrom">For a rollback, the version whose value this one holds; otherwise 0.</param>
public sealed record StoredVersion(
    KeyPath Path,
    long Version,
    long Revision,
    VersionKind Operation,
    ReadOnlyMemory<byte> Value,
    bool Secret,
    string Author,
    DateTimeOffset Timestamp,
    long RolledBackFrom)
{
    /// <summary>Keyed fingerprint of a secret's plaintext (empty for plain values).</summary>
    public ReadOnlyMemory<byte> Fingerprint { get; init; }

    /// <summary>
    /// The message of the change-set (or promote) that made this version; empty when none was
    /// given. Set on versions read as changes of a revision (<see cref="IVersionedStore.GetChanges"/>).
    /// </summary>
    public string ChangeMessage { get; init; } = "";

    /// <summary>Vault KV v2: when the version was soft-deleted (null: it is not); its data stays until destroyed.</summary>
    public DateTimeOffset? DeletedAt { get; init; }

    /// <summary>Vault KV v2: the version's data was destroyed (its value is empty for good).</summary>
    public bool Destroyed { get; init; }

    /// <summary>True when the version has no readable value: soft-deleted or destroyed through the Vault face.</summary>
    public bool IsHidden => DeletedAt is not null || Destroyed;

    /// <summary>True when this version removes the key (a tombstone or a mask).</summary>
    public bool IsDeletion => Operation is VersionKind.Delete or VersionKind.Mask;

    /// <summary>How <see cref="Value"/> is read: UTF-8 JSON (ConfigCluster's values) or opaque bytes (the Consul face's).</summary>
    public Core.Commands.ValueKind ValueKind { get; init; }

    /// <summary>Opaque flags kept with the version (Consul's <c>Flags</c>); 0 when none were given.</summary>
    public ulong Flags { get; init; }

    /// <summary>
    /// The revision at which the key was (re)created, for a version read as the key's latest
    /// (Consul's <c>CreateIndex</c>); 0 when the version was read by number.
    /// </summary>
    public long CreateRevision { get; init; }

    /// <summary>
    /// The value as one JSON value, for ConfigCluster's own answers: a JSON value as stored; raw
    /// bytes as a JSON string when they are valid UTF-8, otherwise as <c>{"base64": "..."}</c>.
    /// </summary>
    public byte[] ValueAsJson() => ValueKind == Core.Commands.ValueKind.Bytes ? ValueText.BytesAsJson(Value.Span) : Value.ToArray();
}

/// <summary>A page of a prefix listing.</summary>
/// <param name="Items">The latest version of each key, in key order.</param>
/// <param name="NextAfter">The last key of this page when more keys follow; otherwise null.</param>
public sealed record ListPage(IReadOnlyList<StoredVersion> Items, string? NextAfter);

/// <summary>A store checkpoint: the Raft position it holds, where the FASTER log stood, and the store revision it holds (0 when not known, as for a recovered one).</summary>
public sealed record StoreCheckpoint(long Index, long Term, long TailAddress, long Generation, long Revision = 0)
{
    /// <summary>
    /// The log's begin address at the checkpoint. A compaction after it moves the begin address
    /// and copies live records past the checkpoint's tail, so the checkpoint can no longer be
    /// streamed as a snapshot: take a newer one.
    /// </summary>
    public long BeginAddress { get; init; }
}
