using ConfigCluster.Core.Commands;
using ConfigCluster.Storage.Records;
using Google.Protobuf;

namespace ConfigCluster.Storage;

/// <summary>
/// Static roles and root credential rotation of the database secrets engine. A password change in
/// the database is an intent (the new password, sealed, recorded as pending), the database's
/// ALTER ROLE, then a confirmation (pending becomes current); a new leader finds a pending
/// rotation in this state and finishes it with the same password, so acting twice is harmless.
/// </summary>
public sealed partial class FasterVersionedStore
{
    /// <summary>Shortest rotation period of a static role (Vault's minimum is 5 s; tests use less).</summary>
    public static readonly TimeSpan MinStaticRotationPeriod = TimeSpan.FromSeconds(1);

    /// <inheritdoc/>
    public StoredStaticRole? FindStaticRole(string name) => Volatile.Read(ref current).Metadata.FindStaticRole(name);

    /// <inheritdoc/>
    public IReadOnlyList<StoredStaticRole> StaticRoles() => Volatile.Read(ref current).Metadata.StaticRoles();

    // A replacement keeps the password and its rotation state; a new role is due at once.
    private CommandResult ApplyStaticRole(Command command, DatabaseStaticRoleOp role)
    {
        if (!IsValidDatabaseName(role.Name) || !IsValidDatabaseName(role.DbName) || role.Username.Length is 0 or > 63)
            return Invalid("static role command is malformed");
        if (role.RotationPeriodMs < (long)MinStaticRotationPeriod.TotalMilliseconds)
            return Invalid($"rotation_period must be at least {MinStaticRotationPeriod.TotalSeconds:0} s");
        if (role.RotationStatements.Count > MaxDatabaseStatements || role.RotationStatements.Any(static s => s.Length is 0 or > MaxDatabaseStatementLength))
            return Invalid($"at most {MaxDatabaseStatements} rotation statements, each 1 to {MaxDatabaseStatementLength} characters");
        var existing = ReadStaticRole(role.Name);
        if (existing is not null && existing.Username != role.Username)
            return Invalid("a static role's username cannot change; delete the role first");
        var record = existing ?? new DatabaseStaticRoleRecord { Name = role.Name, Username = role.Username, CreatedUnixMs = command.TimestampUnixMs };
        record.DbName = role.DbName;
        record.RotationPeriodMs = role.RotationPeriodMs;
        record.RotationStatements.Clear();
        record.RotationStatements.AddRange(role.RotationStatements);
        UpsertMetadata(RecordKeys.StaticRole(role.Name), record.ToByteArray());
        return new CommandResult { Code = ResultCode.ResultOk, Revision = revision };
    }

    private CommandResult ApplyStaticRoleDelete(DatabaseStaticRoleDeleteOp delete)
    {
        if (ReadStaticRole(delete.Name) is null)
            return NotFound($"no static role named '{delete.Name}'");
        UpsertMetadata(RecordKeys.StaticRole(delete.Name), []);
        return new CommandResult { Code = ResultCode.ResultOk, Revision = revision };
    }

    // Version of the result = the role's generation after the command.
    private CommandResult ApplyStaticRotate(Command command, DatabaseStaticRotateOp rotate)
    {
        if (ReadStaticRole(rotate.Name) is not { } record)
            return NotFound($"no static role named '{rotate.Name}'");
        if (rotate.Confirm)
        {
            if (record.PendingSealedPassword.IsEmpty || record.Generation != rotate.ExpectedGeneration)
                return new CommandResult { Code = ResultCode.ResultVersionMismatch, Message = "no such rotation is pending", Version = record.Generation, Revision = revision };
            record.SealedPassword = record.PendingSealedPassword;
            record.PendingSealedPassword = ByteString.Empty;
            record.PendingSinceUnixMs = 0;
            record.Generation++;
            record.LastRotatedUnixMs = command.TimestampUnixMs;
        }
        else
        {
            if (rotate.SealedPassword.IsEmpty)
                return Invalid("a rotation needs its new password (sealed)");
            if (!record.PendingSealedPassword.IsEmpty || record.Generation != rotate.ExpectedGeneration)
                return new CommandResult { Code = ResultCode.ResultVersionMismatch, Message = "the role rotated meanwhile or a rotation is pending", Version = record.Generation, Revision = revision };
            // A scheduled rotation serves a due time; the log's timestamp must have reached it (never doubled, never early).
            var due = record.LastRotatedUnixMs > 0 ? record.LastRotatedUnixMs + record.RotationPeriodMs : record.CreatedUnixMs;
            if (rotate.DueUnixMs > 0 && (rotate.DueUnixMs != due || command.TimestampUnixMs < due))
                return new CommandResult { Code = ResultCode.ResultVersionMismatch, Message = "that rotation is not due", Version = record.Generation, Revision = revision };
            record.PendingSealedPassword = rotate.SealedPassword;
            record.PendingSinceUnixMs = command.TimestampUnixMs;
        }

        UpsertMetadata(RecordKeys.StaticRole(record.Name), record.ToByteArray());
        return new CommandResult { Code = ResultCode.ResultOk, Version = record.Generation, Revision = revision };
    }

    private CommandResult ApplyRootRotate(Command command, DatabaseRootRotateOp rotate)
    {
        if (!IsValidDatabaseName(rotate.Name) || WriterInstance.ReadForWrite(RecordKeys.DatabaseConfig(rotate.Name)) is not { Length: > 0 } bytes)
            return NotFound($"no database connection named '{rotate.Name}'");
        var record = DatabaseConfigRecord.Parser.ParseFrom(bytes);
        if (rotate.Confirm)
        {
            if (record.PendingSealedPassword.IsEmpty)
                return new CommandResult { Code = ResultCode.ResultVersionMismatch, Message = "no root rotation is pending", Revision = revision };
            record.SealedPassword = record.PendingSealedPassword;
            record.PendingSealedPassword = ByteString.Empty;
            record.PendingSinceUnixMs = 0;
            record.RootRotatedUnixMs = command.TimestampUnixMs;
        }
        else
        {
            if (rotate.SealedPassword.IsEmpty)
                return Invalid("a root rotation needs its new password (sealed)");
            if (!record.PendingSealedPassword.IsEmpty)
                return new CommandResult { Code = ResultCode.ResultVersionMismatch, Message = "a root rotation is pending", Revision = revision };
            record.PendingSealedPassword = rotate.SealedPassword;
            record.PendingSinceUnixMs = command.TimestampUnixMs;
        }

        UpsertMetadata(RecordKeys.DatabaseConfig(record.Name), record.ToByteArray());
        return new CommandResult { Code = ResultCode.ResultOk, Revision = revision };
    }

    // A connection rewritten with its stored password keeps a pending root rotation (the database
    // may already have the new password); one given a new password starts afresh.
    private void KeepRootRotation(DatabaseConfigRecord record)
    {
        if (WriterInstance.ReadForWrite(RecordKeys.DatabaseConfig(record.Name)) is not { Length: > 0 } bytes)
            return;
        var existing = DatabaseConfigRecord.Parser.ParseFrom(bytes);
        record.RootRotatedUnixMs = existing.RootRotatedUnixMs;
        if (existing.SealedPassword.Equals(record.SealedPassword))
        {
            record.PendingSealedPassword = existing.PendingSealedPassword;
            record.PendingSinceUnixMs = existing.PendingSinceUnixMs;
        }
    }

    private DatabaseStaticRoleRecord? ReadStaticRole(string name)
        => IsValidDatabaseName(name) && WriterInstance.ReadForWrite(RecordKeys.StaticRole(name)) is { Length: > 0 } bytes ? DatabaseStaticRoleRecord.Parser.ParseFrom(bytes) : null;
}
