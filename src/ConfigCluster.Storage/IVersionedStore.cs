using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;

namespace ConfigCluster.Storage;

/// <summary>
/// The replicated versioned store. One writer (the Raft applier) calls <see cref="Apply"/>,
/// <see cref="CheckpointAsync"/> and <see cref="InstallSnapshotAsync"/>; any thread may read.
/// </summary>
public interface IVersionedStore : IDisposable
{
    /// <summary>The global revision: the number of changes applied so far.</summary>
    long Revision { get; }

    /// <summary>The Raft index of the last entry applied (0 for a fresh store).</summary>
    long AppliedIndex { get; }

    /// <summary>The checkpoint recovered at open, or null for a fresh store.</summary>
    StoreCheckpoint? RecoveredCheckpoint { get; }

    /// <summary>
    /// Applies one command at Raft position <paramref name="index"/>. Deterministic; never throws
    /// for bad input (the result says what went wrong). Entries below <see cref="AppliedIndex"/>
    /// are ignored; the commands of one log entry (a batch) share its index and are applied in order.
    /// </summary>
    CommandResult Apply(Command command, long index, long term);

    /// <summary>
    /// Runs <paramref name="work"/> on the store's writer thread (where <see cref="Apply"/> may wait
    /// on FASTER without holding a thread-pool thread): the Raft applier applies every command of a
    /// log entry in one hand-off instead of one per command. Calls must not overlap with other writes.
    /// </summary>
    Task<T> RunOnWriterAsync<T>(Func<T> work);

    /// <summary>Records that a Raft entry without a command (no-op, configuration) was applied.</summary>
    void Skip(long index, long term);

    /// <summary>A key's latest version (<paramref name="version"/> = 0) or the given version; null when absent.</summary>
    StoredVersion? Get(KeyPath path, long version = 0);

    /// <summary>The versions made at global revision <paramref name="atRevision"/> (several for a change-set); empty when none is kept.</summary>
    IReadOnlyList<StoredVersion> GetChanges(long atRevision);

    /// <summary>
    /// <see cref="Get"/> for request paths: a record evicted from memory is read from disk
    /// without blocking a thread-pool thread.
    /// </summary>
    ValueTask<StoredVersion?> GetAsync(KeyPath path, long version, CancellationToken token);

    /// <summary><see cref="GetChanges"/> for request paths (never blocks on disk).</summary>
    ValueTask<IReadOnlyList<StoredVersion>> GetChangesAsync(long atRevision, CancellationToken token);

    /// <summary><see cref="History"/> for request paths (never blocks on disk).</summary>
    ValueTask<IReadOnlyList<StoredVersion>> HistoryAsync(KeyPath path, CancellationToken token);

    /// <summary><see cref="List"/> for request paths (never blocks on disk).</summary>
    ValueTask<ListPage> ListAsync(string ns, string env, string prefix, string? after, int limit, bool includeDeleted, CancellationToken token);

    /// <summary>The environment <paramref name="env"/> inherits from, or null.</summary>
    string? ParentOf(string ns, string env);

    /// <summary><paramref name="env"/> followed by its ancestors, nearest first.</summary>
    IReadOnlyList<string> InheritanceChain(string ns, string env);

    /// <summary>The oldest revision whose change is still kept (1 until history is compacted).</summary>
    long OldestRevision { get; }

    /// <summary>A namespace's history retention, or null when it keeps every version.</summary>
    RetentionPolicy? GetRetention(string ns);

    /// <summary>Every namespace with a history retention.</summary>
    IReadOnlyDictionary<string, RetentionPolicy> Retention();

    /// <summary>The replicated keyring, oldest first (the last is the key for new secrets).</summary>
    IReadOnlyList<WrappedDataKey> DataKeys();

    /// <summary>The token whose secret hashes to <paramref name="tokenHash"/> (SHA-256), or null.</summary>
    StoredToken? FindToken(ReadOnlySpan<byte> tokenHash);

    /// <summary>Every token ever created (revoked ones included), oldest first.</summary>
    IReadOnlyList<StoredToken> Tokens();

    /// <summary>How many tokens were ever created (revoked ones included); 0 until the bootstrap token is applied.</summary>
    long TokenCount { get; }

    /// <summary>A policy by name, or null (also after it was deleted).</summary>
    Core.Commands.PutPolicyOp? FindPolicy(string name);

    /// <summary>The Vault KV v2 mounts that have a record, by name (from memory).</summary>
    IReadOnlyDictionary<string, StoredKvMount> KvMounts();

    /// <summary>A key's Vault KV v2 metadata, or null when none was written (from memory).</summary>
    StoredKvKey? FindKvKey(KeyPath path);

    /// <summary>Every key (live or deleted) of every namespace and environment, in order.</summary>
    IReadOnlyList<Core.Keys.KeyPath> AllKeys();

    /// <summary>Every version of a key, oldest first; empty when the key never existed.</summary>
    IReadOnlyList<StoredVersion> History(KeyPath path);

    /// <summary>Keys of one namespace and environment starting with <paramref name="prefix"/>, in order.</summary>
    /// <param name="after">Only keys strictly after this one (paging).</param>
    ListPage List(string ns, string env, string prefix, string? after, int limit, bool includeDeleted);

    /// <summary>Takes a durable checkpoint of everything applied so far.</summary>
    ValueTask<StoreCheckpoint> CheckpointAsync(CancellationToken token);

    /// <summary>Writes the state as of <paramref name="checkpoint"/> to <paramref name="destination"/>.</summary>
    /// <exception cref="InvalidOperationException">The checkpoint no longer belongs to the open store (replaced by a snapshot install, or its records were compacted since).</exception>
    void WriteSnapshot(StoreCheckpoint checkpoint, Stream destination);

    /// <summary>
    /// Keeps log compaction from starting until the returned handle is disposed, so that a
    /// checkpoint taken after this call stays streamable by <see cref="WriteSnapshot"/> (a backup
    /// takes the hold before its checkpoint and releases it once written). A compaction step
    /// already under way finishes first: checkpoints run after it on the writer thread.
    /// Deferred compaction resumes at the first checkpoint after the last hold is released.
    /// </summary>
    IDisposable HoldCompaction();

    /// <summary>
    /// Replaces the whole state with a snapshot written by <see cref="WriteSnapshot"/> (verified
    /// first: a damaged snapshot changes nothing) and checkpoints it.
    /// </summary>
    /// <exception cref="InvalidDataException">The snapshot is damaged or of an unknown format.</exception>
    ValueTask<StoreCheckpoint> InstallSnapshotAsync(string snapshotFile, CancellationToken token);

    /// <summary>A transit key (its material still sealed under the master key), or null.</summary>
    TransitKey? FindTransitKey(string name);

    /// <summary>Every transit key's name, in ordinal order.</summary>
    IReadOnlyList<string> TransitKeyNames();

    /// <summary>Which master key the keyring is wrapped under, or null before the first master key rotation.</summary>
    KeyringWrapping? MasterKeyWrapping();
    /// <summary>A rotation policy by name, or null (from memory).</summary>
    StoredRotationPolicy? FindRotationPolicy(string name);

    /// <summary>Every rotation policy, by name (from memory).</summary>
    IReadOnlyList<StoredRotationPolicy> RotationPolicies();

    /// <summary>A key's rotation schedule and outcomes, or null when it was never rotated or reported on (from memory).</summary>
    RotationState? FindRotationState(KeyPath path);

    /// <summary>Every key's rotation state (from memory).</summary>
    IReadOnlyList<RotationState> RotationStates();
    /// <summary>A database connection of the database secrets engine (its admin password still sealed), or null.</summary>
    StoredDatabaseConfig? FindDatabaseConfig(string name);

    /// <summary>Every database connection's name, in ordinal order.</summary>
    IReadOnlyList<string> DatabaseConfigNames();

    /// <summary>A role of the database secrets engine, or null.</summary>
    StoredDatabaseRole? FindDatabaseRole(string name);

    /// <summary>Every database role's name, in ordinal order.</summary>
    IReadOnlyList<string> DatabaseRoleNames();

    /// <summary>A lease on a dynamic credential, or null.</summary>
    StoredLease? FindLease(string leaseId);

    /// <summary>Every outstanding lease (including those being revoked), in lease id order.</summary>
    IReadOnlyList<StoredLease> Leases();

    /// <summary>Whether the token that asked for <paramref name="lease"/> is revoked or expired at <paramref name="at"/>.</summary>
    bool LeaseOwnerEnded(StoredLease lease, DateTimeOffset at);

    /// <summary>A static role of the database secrets engine (its passwords still sealed), or null.</summary>
    StoredStaticRole? FindStaticRole(string name);

    /// <summary>Every static role, in name order.</summary>
    IReadOnlyList<StoredStaticRole> StaticRoles();

    /// <summary>A node's latest audit checkpoint replicated through the log, or null when it has none.</summary>
    StoredAuditCheckpoint? FindAuditCheckpoint(string nodeId);

    /// <summary>
    /// SHA-256 (hex) over the whole replicated state: every key's head and versions in key order,
    /// then every metadata record (tokens, policies, keyring, environments, retention, audit
    /// checkpoints) in key order, then the remembered request ids. Only replicated bytes go in
    /// (timestamps come from log entries), so replicas that applied the same log agree. Reads
    /// every record (from disk when evicted) synchronously: a tool's call, not a request path's.
    /// </summary>
    string ComputeDigest();

    /// <summary>
    /// What <see cref="ComputeDigest"/> covers, each part hashed alone (16 hex digits): "keys", one
    /// "meta/TAG" per metadata table (TAG: its records' first key byte), "requests", and "all" (the
    /// digest itself). Replicas whose digests differ name the table they disagree on.
    /// </summary>
    IReadOnlyDictionary<string, string> ComputeDigestParts();

    /// <summary>
    /// <see cref="ComputeDigest"/> for request paths: it runs on a dedicated thread, so its disk
    /// reads (every version of every key) never hold a thread-pool thread.
    /// </summary>
    Task<string> ComputeDigestAsync(CancellationToken token);

    // ---- machine login ----

    /// <summary>The log clock: the newest leader time entered in the log, and when this node applied it.</summary>
    LogClockReading LogClock { get; }

    /// <summary>An AppRole role, or null.</summary>
    AppRoleSettings? FindAppRole(string name);

    /// <summary>Every AppRole role's name, in ordinal order.</summary>
    IReadOnlyList<string> AppRoleNames();

    /// <summary>
    /// Whether a role has <paramref name="roleId"/> and (when it binds secret ids) a secret id with
    /// this hash, used or not, expired or not: a cheap first check before a login goes to the log.
    /// </summary>
    bool AppRoleCredentialsKnown(string roleId, ReadOnlySpan<byte> secretIdHash);

    /// <summary>The JWT auth method's config, or null when none was written.</summary>
    JwtConfigOp? JwtConfig();

    /// <summary>A JWT role, or null.</summary>
    JwtRoleSettings? FindJwtRole(string name);

    /// <summary>Every JWT role's name, in ordinal order.</summary>
    IReadOnlyList<string> JwtRoleNames();
}
