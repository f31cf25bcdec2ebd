using ConfigCluster.Core.Commands;
using ConfigCluster.Storage.Records;
using Google.Protobuf;

namespace ConfigCluster.Storage;

public sealed partial class FasterVersionedStore
{
    /// <summary>Longest lease id accepted.</summary>
    public const int MaxLeaseIdLength = 256;

    /// <inheritdoc/>
    public StoredLease? FindLease(string leaseId) => Volatile.Read(ref current).Metadata.FindLease(leaseId);

    /// <inheritdoc/>
    public IReadOnlyList<StoredLease> Leases() => Volatile.Read(ref current).Metadata.Leases();

    // Issue time and expiry are the command's timestamp: every node records the same ones.
    private CommandResult ApplyLeaseCreate(Command command, LeaseCreateOp create)
    {
        if (create.LeaseId.Length is 0 or > MaxLeaseIdLength || create.Username.Length is 0 or > 63 || create.TtlMs < 0)
            return Invalid("lease command is malformed");
        var metadata = current.Metadata;
        if (metadata.FindLease(create.LeaseId) is not null)
            return new CommandResult { Code = ResultCode.ResultVersionMismatch, Message = "lease exists", Revision = revision };
        if (metadata.FindDatabaseRole(create.Role) is not { } role)
            return NotFound($"unknown role: {create.Role}");
        if (metadata.FindDatabaseConfig(role.DbName) is not { } config)
            return NotFound($"unknown database connection: {role.DbName}");
        if (!config.Allows(role.Name))
            return Invalid($"\"{role.Name}\" is not an allowed role");
        var maxTtl = role.MaxTtl > TimeSpan.Zero ? (long)role.MaxTtl.TotalMilliseconds : (long)DefaultLeaseMaxTtl.TotalMilliseconds;
        var ttl = create.TtlMs > 0 ? create.TtlMs : role.DefaultTtl > TimeSpan.Zero ? (long)role.DefaultTtl.TotalMilliseconds : (long)DefaultLeaseTtl.TotalMilliseconds;
        ttl = Math.Min(ttl, maxTtl);
        var record = new LeaseRecord
        {
            LeaseId = create.LeaseId,
            Role = role.Name,
            DbName = role.DbName,
            Username = create.Username,
            IssuedUnixMs = command.TimestampUnixMs,
            ExpiresUnixMs = command.TimestampUnixMs + ttl,
            MaxExpiresUnixMs = command.TimestampUnixMs + maxTtl,
            TtlMs = ttl,
            TokenAccessor = create.TokenAccessor,
        };
        record.RevocationStatements.AddRange(role.RevocationStatements);
        UpsertMetadata(RecordKeys.Lease(create.LeaseId), record.ToByteArray());
        return new CommandResult { Code = ResultCode.ResultOk, Version = record.ExpiresUnixMs, Revision = revision };
    }

    private CommandResult ApplyLeaseRenew(Command command, LeaseRenewOp renew)
    {
        if (ReadLeaseRecord(renew.LeaseId) is not { } record)
            return NotFound("lease not found");
        if (record.Revoking)
            return Invalid("lease is being revoked");
        if (command.TimestampUnixMs >= record.ExpiresUnixMs)
            return Invalid("lease expired");
        if (renew.IncrementMs < 0)
            return Invalid("increment must not be negative");
        var increment = renew.IncrementMs > 0 ? renew.IncrementMs : record.TtlMs;
        record.ExpiresUnixMs = Math.Min(command.TimestampUnixMs + increment, record.MaxExpiresUnixMs);
        record.LastRenewedUnixMs = command.TimestampUnixMs;
        UpsertMetadata(RecordKeys.Lease(record.LeaseId), record.ToByteArray());
        return new CommandResult { Code = ResultCode.ResultOk, Version = record.ExpiresUnixMs, Revision = revision };
    }

    private CommandResult ApplyLeaseRevoke(Command command, LeaseRevokeOp revoke)
    {
        if (ReadLeaseRecord(revoke.LeaseId) is not { } record)
            return NotFound("lease not found");
        if (revoke.Confirmed)
        {
            // The database dropped the user; only a lease marked for revocation is removed.
            if (!record.Revoking)
                return Invalid("lease is not being revoked");
            UpsertMetadata(RecordKeys.Lease(record.LeaseId), []);
            return new CommandResult { Code = ResultCode.ResultOk, Revision = revision };
        }

        if (record.Revoking)
            return new CommandResult { Code = ResultCode.ResultOk, Revision = revision };
        // Expiry is judged by the log's timestamp, not by the proposing node's view of it.
        if (revoke.Expired && command.TimestampUnixMs < record.ExpiresUnixMs)
            return Invalid("lease has not expired");
        if (revoke.OwnerEnded && !OwnerEnded(current.Metadata, record.TokenAccessor, command.TimestampUnixMs))
            return Invalid("the lease's token is still valid");
        record.Revoking = true;
        UpsertMetadata(RecordKeys.Lease(record.LeaseId), record.ToByteArray());
        return new CommandResult { Code = ResultCode.ResultOk, Revision = revision };
    }

    /// <inheritdoc/>
    public bool LeaseOwnerEnded(StoredLease lease, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(lease);
        return OwnerEnded(Volatile.Read(ref current).Metadata, lease.TokenAccessor, at.ToUnixTimeMilliseconds());
    }

    // Only a token the store knows as revoked or expired ends its leases (an unknown accessor does not).
    private static bool OwnerEnded(HotMetadata metadata, string accessor, long atUnixMs)
        => accessor.Length > 0 && metadata.HashOfAccessor(accessor) is { } hash && metadata.FindToken(hash) is { } entry
           && (entry.Record.Revoked || (entry.Record.ExpiresUnixMs > 0 && entry.Record.ExpiresUnixMs <= atUnixMs));

    // Revoking a token marks the leases it asked for (deterministic: every node marks the same
    // ones); the leader's expiry loop then drops their users and confirms.
    private void MarkLeasesOfToken(string accessor)
    {
        foreach (var lease in current.Metadata.Leases())
        {
            if (lease.Revoking || lease.TokenAccessor != accessor || ReadLeaseRecord(lease.LeaseId) is not { } record)
                continue;
            record.Revoking = true;
            UpsertMetadata(RecordKeys.Lease(record.LeaseId), record.ToByteArray());
        }
    }

    private LeaseRecord? ReadLeaseRecord(string leaseId)
        => leaseId.Length is > 0 and <= MaxLeaseIdLength && WriterInstance.ReadForWrite(RecordKeys.Lease(leaseId)) is { Length: > 0 } bytes ? LeaseRecord.Parser.ParseFrom(bytes) : null;
}
