using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using ConfigCluster.Core.Commands;
using ConfigCluster.Storage.Records;

namespace ConfigCluster.Storage;

/// <summary>
/// The metadata every request consults (tokens, policies, the keyring, environments, retention),
/// kept in memory so authentication and authorization never wait on FASTER, whose records may
/// have been evicted to disk. It is a projection of the metadata records: built by observing
/// every record of a log scan in log order (later records supersede earlier ones), then kept
/// current by observing each metadata record the apply path writes. One writer, any readers.
/// </summary>
internal sealed partial class HotMetadata
{
    private readonly ConcurrentDictionary<TokenHashKey, (TokenRecord Record, StoredToken Token)> tokens = new();
    private readonly ConcurrentDictionary<string, byte[]> accessors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, byte[]> tokenSequence = new();
    private readonly ConcurrentDictionary<string, PutPolicyOp?> policies = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> environments = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RetentionPolicy> retention = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StoredAuditCheckpoint> auditCheckpoints = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TransitKey> transitKeys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StoredKvMount> kvMounts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StoredKvKey> kvKeys = new(StringComparer.Ordinal);
    private readonly SortedDictionary<long, WrappedDataKey> dataKeyMap = [];
    // Every metadata record as stored (key bytes as Latin-1 text, so ordinal order is byte order),
    // for the replica digest: it hashes the replicated bytes, not this node's parsed view of them.
    private readonly ConcurrentDictionary<string, byte[]> rawRecords = new(StringComparer.Ordinal);
    private WrappedDataKey[] dataKeys = [];
    private KeyringWrapping? wrapping;

    /// <summary>Which master key the keyring is wrapped under, or null before its first master key rotation.</summary>
    public KeyringWrapping? Wrapping => Volatile.Read(ref wrapping);

    /// <summary>The keyring, oldest first (copy-on-write: readers never see a half-updated list).</summary>
    public IReadOnlyList<WrappedDataKey> DataKeys => Volatile.Read(ref dataKeys);

    /// <summary>Every namespace with a retention.</summary>
    public ConcurrentDictionary<string, RetentionPolicy> Retention => retention;

    /// <summary>Folds one record into the projection; records that are not metadata are ignored.</summary>
    public void Observe(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (key.Length == 0)
            return;
        if (IsMetadataTag(key[0]))
            KeepRaw(key, value);
        switch (key[0])
        {
            case RecordKeys.TokenTag or RecordKeys.AccessorTag or RecordKeys.TokenSequenceTag when value.IsEmpty: // A reaped token
                ForgetToken(key);
                break;
            case RecordKeys.TokenTag when key.Length == 1 + TokenHashKey.Size:
                var record = TokenRecord.Parser.ParseFrom(value);
                tokens[TokenHashKey.From(key[1..])] = (record, ToToken(record));
                break;
            case RecordKeys.AccessorTag:
                accessors[Encoding.UTF8.GetString(key[1..])] = value.ToArray();
                break;
            case RecordKeys.TokenSequenceTag when key.Length == 9:
                tokenSequence[System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(key[1..])] = value.ToArray();
                break;
            case RecordKeys.PolicyTag:
                var policy = PolicyRecord.Parser.ParseFrom(value);
                policies[Encoding.UTF8.GetString(key[1..])] = policy.PutPolicy.IsEmpty ? null : PutPolicyOp.Parser.ParseFrom(policy.PutPolicy);
                break;
            case RecordKeys.DataKeyTag:
                ObserveDataKey(DataKeyRecord.Parser.ParseFrom(value));
                break;
            case RecordKeys.EnvironmentTag:
                environments[Encoding.UTF8.GetString(key[1..])] = EnvironmentRecord.Parser.ParseFrom(value).Inherits;
                break;
            case RecordKeys.RetentionTag when key.Length >= 2:
                ObserveRetention(Encoding.UTF8.GetString(key[1..]), RetentionRecord.Parser.ParseFrom(value));
                break;
            case RecordKeys.MasterKeyTag when value.Length > 0:
                Volatile.Write(ref wrapping, KeyringWrapping.From(MasterKeyRecord.Parser.ParseFrom(value)));
                break;
            case RecordKeys.TransitKeyTag:
                ObserveTransitKey(Encoding.UTF8.GetString(key[1..]), value);
                break;
            case RecordKeys.KvMountTag:
                ObserveKvMount(Encoding.UTF8.GetString(key[1..]), value);
                break;
            case RecordKeys.KvKeyTag:
                ObserveKvKey(Encoding.UTF8.GetString(key[1..]), value);
                break;
            case RecordKeys.RotationPolicyTag or RecordKeys.RotationStateTag:
                ObserveRotation(key[0], Encoding.UTF8.GetString(key[1..]), value);
                break;
            case RecordKeys.DatabaseConfigTag or RecordKeys.DatabaseRoleTag or RecordKeys.LeaseTag or RecordKeys.StaticRoleTag:
                ObserveDatabase(key[0], Encoding.UTF8.GetString(key[1..]), value);
                break;
            case RecordKeys.AuthTag or RecordKeys.LogClockTag:
                ObserveAuth(key, value);
                break;
            case RecordKeys.AuditCheckpointTag when value.Length > 0:
                var checkpoint = AuditCheckpointRecord.Parser.ParseFrom(value);
                auditCheckpoints[Encoding.UTF8.GetString(key[1..])] = new StoredAuditCheckpoint(checkpoint.LineCount, checkpoint.ChainMac, DateTimeOffset.FromUnixTimeMilliseconds(checkpoint.TimestampUnixMs));
                break;
        }
    }

    /// <summary>The token whose secret hashes to <paramref name="hash"/>, with its record, or null.</summary>
    public (TokenRecord Record, StoredToken Token)? FindToken(ReadOnlySpan<byte> hash)
        => hash.Length == TokenHashKey.Size && tokens.TryGetValue(TokenHashKey.From(hash), out var entry) ? entry : null;

    /// <summary>The token hash an accessor names, or null.</summary>
    public byte[]? HashOfAccessor(string accessor) => accessors.GetValueOrDefault(accessor);

    /// <summary>Tokens in creation order, up to <paramref name="count"/>.</summary>
    public List<StoredToken> Tokens(long count)
    {
        var list = new List<StoredToken>();
        for (var i = 1L; i <= count; i++)
        {
            if (tokenSequence.TryGetValue(i, out var hash) && FindToken(hash) is { } entry)
                list.Add(entry.Token);
        }

        return list;
    }

    /// <summary>Whether a policy record exists (a deleted policy's record still does).</summary>
    public bool HasPolicyRecord(string name) => policies.ContainsKey(name);

    /// <summary>A live policy by name, or null.</summary>
    public PutPolicyOp? FindPolicy(string name) => policies.GetValueOrDefault(name);

    /// <summary>A transit key by name, or null.</summary>
    public TransitKey? FindTransitKey(string name) => transitKeys.GetValueOrDefault(name);

    /// <summary>Every transit key's name, in ordinal order.</summary>
    public IReadOnlyList<string> TransitKeyNames()
    {
        var names = transitKeys.Keys.ToList();
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    // An empty record is a deleted key.
    private void ObserveTransitKey(string name, ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
            transitKeys.TryRemove(name, out _);
        else
            transitKeys[name] = TransitKey.From(TransitKeyRecord.Parser.ParseFrom(value));
    }
    /// <summary>The Vault KV v2 mounts that have a record, by name.</summary>
    public IReadOnlyDictionary<string, StoredKvMount> KvMounts => kvMounts;

    /// <summary>A key's Vault KV v2 metadata (by its composite), or null.</summary>
    public StoredKvKey? FindKvKey(string composite) => kvKeys.GetValueOrDefault(composite);

    /// <summary>A node's latest audit checkpoint, or null.</summary>
    public StoredAuditCheckpoint? FindAuditCheckpoint(string nodeId) => auditCheckpoints.GetValueOrDefault(nodeId);

    /// <summary>The configured parent of an environment: null when none is configured, "" when it inherits nothing.</summary>
    public string? ConfiguredParent(string ns, string env) => environments.GetValueOrDefault($"{ns}\0{env}");

    /// <summary>
    /// Every metadata record (tokens, accessors, token order, policies, keyring, environments,
    /// retention, audit checkpoints) in byte order of its key. A record whose value is empty (a
    /// cleared retention) counts as absent, as it does for every reader.
    /// </summary>
    public List<KeyValuePair<string, byte[]>> RecordsInKeyOrder()
    {
        var records = rawRecords.ToList();
        records.Sort(static (x, y) => string.CompareOrdinal(x.Key, y.Key));
        return records;
    }

    private static bool IsMetadataTag(byte tag) => tag is RecordKeys.TokenTag or RecordKeys.AccessorTag or RecordKeys.TokenSequenceTag
        or RecordKeys.PolicyTag or RecordKeys.DataKeyTag or RecordKeys.EnvironmentTag or RecordKeys.RetentionTag or RecordKeys.AuditCheckpointTag or RecordKeys.TransitKeyTag
        or RecordKeys.MasterKeyTag or RecordKeys.KvMountTag or RecordKeys.KvKeyTag or RecordKeys.RotationPolicyTag or RecordKeys.RotationStateTag
        or RecordKeys.DatabaseConfigTag or RecordKeys.DatabaseRoleTag or RecordKeys.LeaseTag
        or RecordKeys.StaticRoleTag
        or RecordKeys.AuthTag; // not the log clock: it moves every second, and replicas compared a moment apart would differ

    private void KeepRaw(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var name = Encoding.Latin1.GetString(key);
        NoteEmpty(name, value.IsEmpty); // The start-up image keeps empty records too
        if (value.IsEmpty)
            rawRecords.TryRemove(name, out _);
        else
            rawRecords[name] = value.ToArray();
    }

    private void ObserveDataKey(DataKeyRecord record)
    {
        dataKeyMap[record.Sequence] = new WrappedDataKey(record.Sequence, record.KeyId.Memory, record.WrappedKey.Memory, DateTimeOffset.FromUnixTimeMilliseconds(record.CreatedAtUnixMs));
        Volatile.Write(ref dataKeys, [.. dataKeyMap.Values]);
    }

    private void ObserveKvMount(string name, ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            kvMounts.TryRemove(name, out _);
            return;
        }

        var record = KvMountRecord.Parser.ParseFrom(value);
        kvMounts[name] = new StoredKvMount(name, record.Description, record.MaxVersions, record.CasRequired, DateTimeOffset.FromUnixTimeMilliseconds(record.CreatedUnixMs));
    }

    private void ObserveKvKey(string composite, ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            kvKeys.TryRemove(composite, out _);
            return;
        }

        var record = KvKeyRecord.Parser.ParseFrom(value);
        kvKeys[composite] = new StoredKvKey(record.MaxVersions, record.CasRequired, new Dictionary<string, string>(record.CustomMetadata, StringComparer.Ordinal),
            DateTimeOffset.FromUnixTimeMilliseconds(record.CreatedUnixMs), DateTimeOffset.FromUnixTimeMilliseconds(record.UpdatedUnixMs));
    }

    private void ObserveRetention(string ns, RetentionRecord record)
    {
        if (record.MaxVersions == 0 && record.MaxAgeMs == 0)
            retention.TryRemove(ns, out _);
        else
            retention[ns] = new RetentionPolicy(record.MaxVersions, TimeSpan.FromMilliseconds(record.MaxAgeMs));
    }

    private static StoredToken ToToken(TokenRecord record) => new(
        record.Accessor,
        record.Name,
        [.. record.Policies],
        record.ExpiresUnixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(record.ExpiresUnixMs) : null,
        DateTimeOffset.FromUnixTimeMilliseconds(record.CreatedUnixMs),
        record.Revoked,
        record.TokenHash.Memory)
    {
        Renewable = record.Renewable,
        Ttl = record.TtlMs > 0 ? TimeSpan.FromMilliseconds(record.TtlMs) : null,
        MaxExpiresAt = record.MaxExpiresUnixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(record.MaxExpiresUnixMs) : null,
        MaxTtl = record.MaxTtlMs > 0 ? TimeSpan.FromMilliseconds(record.MaxTtlMs) : null,
        BoundCidrs = [.. record.BoundCidrs],
        Period = record.PeriodMs > 0 ? TimeSpan.FromMilliseconds(record.PeriodMs) : null,
    };

    /// <summary>A SHA-256 token hash as a dictionary key (no allocation per lookup).</summary>
    private readonly record struct TokenHashKey(ulong A, ulong B, ulong C, ulong D)
    {
        public const int Size = 32;

        public static TokenHashKey From(ReadOnlySpan<byte> hash)
        {
            var words = MemoryMarshal.Cast<byte, ulong>(hash[..Size]);
            return new TokenHashKey(words[0], words[1], words[2], words[3]);
        }
    }
}
