using System.Buffers.Binary;
using System.Text;
using ConfigCluster.Core.Keys;

namespace ConfigCluster.Storage.Records;

/// <summary>
/// Byte layout of FASTER keys. A tag byte, then UTF-8 <c>namespace \0 environment \0 key</c>,
/// then (for versions) the version as 8 big-endian bytes.
/// </summary>
internal static class RecordKeys
{
    public const byte HeadTag = (byte)'h';
    public const byte VersionTag = (byte)'v';
    public const byte MetaTag = (byte)'m';
    public const byte ChangeTag = (byte)'c';
    public const byte RequestTag = (byte)'r';
    public const byte DataKeyTag = (byte)'k';
    public const byte EnvironmentTag = (byte)'n';
    public const byte TokenTag = (byte)'t';
    public const byte AccessorTag = (byte)'a';
    public const byte TokenSequenceTag = (byte)'s';
    public const byte PolicyTag = (byte)'p';
    public const byte RetentionTag = (byte)'q';
    public const byte AuditCheckpointTag = (byte)'u';
    public const byte TransitKeyTag = (byte)'x';
    public const byte MasterKeyTag = (byte)'w';

    /// <summary>Which master key the keyring is wrapped under (one record).</summary>
    public static readonly byte[] MasterKey = [MasterKeyTag];

    /// <summary>A transit key, by name.</summary>
    public static byte[] TransitKey(string name) => Text(TransitKeyTag, name);
    public const byte KvMountTag = (byte)'V';

    // The database secrets engine and its leases.
    public const byte DatabaseConfigTag = (byte)'D';
    public const byte DatabaseRoleTag = (byte)'G';
    public const byte LeaseTag = (byte)'L';

    /// <summary>A database connection of the database secrets engine.</summary>
    public static byte[] DatabaseConfig(string name) => Text(DatabaseConfigTag, name);

    /// <summary>A role of the database secrets engine.</summary>
    public static byte[] DatabaseRole(string name) => Text(DatabaseRoleTag, name);

    /// <summary>A lease on a dynamic credential, by lease id.</summary>
    public static byte[] Lease(string leaseId) => Text(LeaseTag, leaseId);
    public const byte KvKeyTag = (byte)'W';

    // Database static roles: a static role and its rotation state, by name.
    public const byte StaticRoleTag = (byte)'S';

    /// <summary>A static role of the database secrets engine.</summary>
    public static byte[] StaticRole(string name) => Text(StaticRoleTag, name);

    // Rotation: policies by name, schedule state per key.
    public const byte RotationPolicyTag = (byte)'O';
    public const byte RotationStateTag = (byte)'Z';

    /// <summary>A rotation policy, by name.</summary>
    public static byte[] RotationPolicy(string name) => Text(RotationPolicyTag, name);

    /// <summary>A secret key's rotation schedule and outcomes.</summary>
    public static byte[] RotationState(KeyPath path) => Text(RotationStateTag, Composite(path));

    // Machine login: AppRole roles, role-id index, secret ids, the JWT config and
    // roles, under one tag with text paths; the log clock under its own.
    public const byte AuthTag = (byte)'7';
    public const byte LogClockTag = (byte)'9';

    /// <summary>A machine-login record by its path (e.g. <c>approle/role/NAME</c>).</summary>
    public static byte[] Auth(string path) => Text(AuthTag, path);

    /// <summary>The log clock.</summary>
    public static readonly byte[] LogClock = [LogClockTag];

    /// <summary>A Vault KV v2 mount.</summary>
    public static byte[] KvMount(string name) => Text(KvMountTag, name);

    /// <summary>A key's Vault KV v2 metadata.</summary>
    public static byte[] KvKey(KeyPath path) => Text(KvKeyTag, Composite(path));

    /// <summary>A node's latest audit checkpoint.</summary>
    public static byte[] AuditCheckpoint(string nodeId) => Text(AuditCheckpointTag, nodeId);

    /// <summary>A namespace's history retention.</summary>
    public static byte[] Retention(string ns) => Text(RetentionTag, ns);

    public static byte[] Token(ReadOnlySpan<byte> tokenHash) => [TokenTag, .. tokenHash];

    public static byte[] Accessor(string accessor) => Text(AccessorTag, accessor);

    public static byte[] Policy(string name) => Text(PolicyTag, name);

    public static byte[] TokenBySequence(long sequence) => Numbered(TokenSequenceTag, sequence);

    // A tag followed by a big-endian number, so records of one kind sort by number.
    private static byte[] Numbered(byte tag, long number)
    {
        var buffer = new byte[1 + sizeof(long)];
        buffer[0] = tag;
        BinaryPrimitives.WriteInt64BigEndian(buffer.AsSpan(1), number);
        return buffer;
    }

    private static byte[] Text(byte tag, string text)
    {
        var buffer = new byte[1 + Encoding.UTF8.GetByteCount(text)];
        buffer[0] = tag;
        Encoding.UTF8.GetBytes(text, buffer.AsSpan(1));
        return buffer;
    }

    public static readonly byte[] Meta = [MetaTag];

    public static byte[] Head(KeyPath path) => Build(HeadTag, path, version: null);

    public static byte[] Version(KeyPath path, long version) => Build(VersionTag, path, version);

    /// <summary>The change made at a global revision.</summary>
    public static byte[] Change(long revision) => Numbered(ChangeTag, revision);

    /// <summary>An environment's settings.</summary>
    public static byte[] Environment(string ns, string env) => Text(EnvironmentTag, $"{ns}\0{env}");

    /// <summary>A data key of the keyring, by sequence.</summary>
    public static byte[] DataKey(long sequence) => Numbered(DataKeyTag, sequence);

    /// <summary>The remembered result of a client request id (write deduplication).</summary>
    public static byte[] Request(string requestId) => Text(RequestTag, requestId);

    /// <summary>The composite string used by the key index: <c>ns \0 env \0 key</c>.</summary>
    public static string Composite(KeyPath path) => $"{path.Namespace}\0{path.Environment}\0{path.Key}";

    /// <summary>Reads the key path back from a head record key.</summary>
    public static bool TryParseHead(ReadOnlySpan<byte> key, out string composite)
    {
        composite = "";
        if (key.Length < 5 || key[0] != HeadTag)
            return false;
        composite = Encoding.UTF8.GetString(key[1..]);
        return true;
    }

    private static byte[] Build(byte tag, KeyPath path, long? version)
    {
        var composite = Composite(path);
        var textLength = Encoding.UTF8.GetByteCount(composite);
        var buffer = new byte[1 + textLength + (version is null ? 0 : sizeof(long))];
        buffer[0] = tag;
        Encoding.UTF8.GetBytes(composite, buffer.AsSpan(1));
        if (version is { } v)
            BinaryPrimitives.WriteInt64BigEndian(buffer.AsSpan(1 + textLength), v);
        return buffer;
    }
}
