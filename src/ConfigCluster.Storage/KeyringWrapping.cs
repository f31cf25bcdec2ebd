using ConfigCluster.Storage.Records;

namespace ConfigCluster.Storage;

/// <summary>
/// Which master key the keyring is wrapped under, as the last master key rotation recorded it:
/// the key's check value (never the key), how many rotations there were, the fingerprint key
/// wrapped under it, and when.
/// </summary>
public sealed record KeyringWrapping(ReadOnlyMemory<byte> KeyCheck, long Generation, ReadOnlyMemory<byte> WrappedFingerprintKey, DateTimeOffset RotatedAt)
{
    /// <summary>The key check as lower-case hex (safe to show).</summary>
    public string KeyCheckText => Convert.ToHexStringLower(KeyCheck.Span);

    internal static KeyringWrapping From(MasterKeyRecord record)
        => new(record.KeyCheck.Memory, record.Generation, record.WrappedFingerprintKey.Memory, DateTimeOffset.FromUnixTimeMilliseconds(record.RotatedAtUnixMs));
}
