using ConfigCluster.Core.Commands;
using ConfigCluster.Storage.Records;
using Google.Protobuf;

namespace ConfigCluster.Storage;

public sealed partial class FasterVersionedStore
{
    /// <summary>Longest transit key name accepted.</summary>
    public const int MaxTransitKeyNameLength = 128;

    /// <summary>Most versions a transit key keeps (each rotation adds one).</summary>
    public const int MaxTransitKeyVersions = 10_000;

    /// <summary>The transit key types the face can create.</summary>
    public static readonly IReadOnlyList<string> TransitKeyTypes = ["aes256-gcm96", "chacha20-poly1305"];

    // The leader draws the material at proposal time; one without the master key cannot.
    private const string NoMaterial = "the leader could not make transit key material (it has no master key: sealed)";

    /// <inheritdoc/>
    public TransitKey? FindTransitKey(string name) => Volatile.Read(ref current).Metadata.FindTransitKey(name);

    /// <inheritdoc/>
    public IReadOnlyList<string> TransitKeyNames() => Volatile.Read(ref current).Metadata.TransitKeyNames();

    /// <summary>Whether a transit key name is acceptable: 1–128 of <c>A-Z a-z 0-9 _ - .</c>.</summary>
    public static bool IsValidTransitKeyName(string? name)
        => !string.IsNullOrEmpty(name) && name.Length <= MaxTransitKeyNameLength && name != "." && name != ".."
           && name.All(static c => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '-' or '.');

    private CommandResult ApplyTransitCreate(Command command, TransitCreateKeyOp create)
    {
        if (!IsValidTransitKeyName(create.Name) || !TransitKeyTypes.Contains(create.Type))
            return Invalid("transit key command is malformed");
        if (create.WrappedMaterial.IsEmpty)
            return Invalid(NoMaterial);
        if (CheckWrappedUnderCurrentKey(create.MasterKeyCheck) is { } stale)
            return stale;
        if (current.Metadata.FindTransitKey(create.Name) is not null)
            return new CommandResult { Code = ResultCode.ResultVersionMismatch, Message = $"transit key '{create.Name}' exists", Revision = revision };
        var record = new TransitKeyRecord { Name = create.Name, Type = create.Type, LatestVersion = 1, MinDecryptionVersion = 1, MinEncryptionVersion = 0 };
        record.Versions.Add(new TransitKeyVersion { Version = 1, CreatedUnixMs = command.TimestampUnixMs, WrappedMaterial = create.WrappedMaterial });
        UpsertMetadata(RecordKeys.TransitKey(create.Name), record.ToByteArray());
        return new CommandResult { Code = ResultCode.ResultOk, Version = 1, Revision = revision };
    }

    private CommandResult ApplyTransitRotate(Command command, TransitRotateKeyOp rotate)
    {
        if (ReadTransitRecord(rotate.Name) is not { } record)
            return NotFound($"transit key '{rotate.Name}' not found");
        // The material was sealed for the version it becomes (associated data), so a rotation
        // built from a stale view is refused and rebuilt.
        if (rotate.ExpectedVersion != record.LatestVersion)
            return Retry($"transit key '{rotate.Name}' changed while the rotation was prepared");
        if (rotate.WrappedMaterial.IsEmpty)
            return Invalid(NoMaterial);
        if (CheckWrappedUnderCurrentKey(rotate.MasterKeyCheck) is { } stale)
            return stale;
        if (record.Versions.Count >= MaxTransitKeyVersions)
            return Invalid($"transit key '{rotate.Name}' has {MaxTransitKeyVersions} versions, the most kept");
        record.LatestVersion++;
        record.Versions.Add(new TransitKeyVersion { Version = record.LatestVersion, CreatedUnixMs = command.TimestampUnixMs, WrappedMaterial = rotate.WrappedMaterial });
        UpsertMetadata(RecordKeys.TransitKey(rotate.Name), record.ToByteArray());
        return new CommandResult { Code = ResultCode.ResultOk, Version = record.LatestVersion, Revision = revision };
    }

    private CommandResult ApplyTransitConfigure(TransitConfigureKeyOp configure)
    {
        if (ReadTransitRecord(configure.Name) is not { } record)
            return NotFound($"transit key '{configure.Name}' not found");
        var minDecryption = configure.HasMinDecryptionVersion ? configure.MinDecryptionVersion : record.MinDecryptionVersion;
        var minEncryption = configure.HasMinEncryptionVersion ? configure.MinEncryptionVersion : record.MinEncryptionVersion;
        if (minDecryption < 1 || minDecryption > record.LatestVersion)
            return Invalid($"min_decryption_version must be between 1 and the latest version ({record.LatestVersion})");
        if (minEncryption < 0 || minEncryption > record.LatestVersion || (minEncryption > 0 && minEncryption < minDecryption))
            return Invalid("min_encryption_version must be 0 (latest) or between min_decryption_version and the latest version");
        record.MinDecryptionVersion = minDecryption;
        record.MinEncryptionVersion = minEncryption;
        if (configure.HasDeletionAllowed)
            record.DeletionAllowed = configure.DeletionAllowed;
        UpsertMetadata(RecordKeys.TransitKey(configure.Name), record.ToByteArray());
        return new CommandResult { Code = ResultCode.ResultOk, Version = record.LatestVersion, Revision = revision };
    }

    private CommandResult ApplyTransitDelete(TransitDeleteKeyOp delete)
    {
        if (ReadTransitRecord(delete.Name) is not { } record)
            return NotFound($"transit key '{delete.Name}' not found");
        if (!record.DeletionAllowed)
            return Invalid("deletion is not allowed for this key");
        UpsertMetadata(RecordKeys.TransitKey(delete.Name), []);
        return new CommandResult { Code = ResultCode.ResultOk, Revision = revision };
    }

    private TransitKeyRecord? ReadTransitRecord(string name)
        => IsValidTransitKeyName(name) && WriterInstance.ReadForWrite(RecordKeys.TransitKey(name)) is { Length: > 0 } bytes ? TransitKeyRecord.Parser.ParseFrom(bytes) : null;
}
