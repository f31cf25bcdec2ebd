using System.Security.Cryptography;
using ConfigCluster.Core.Commands;
using ConfigCluster.Storage.Records;
using Google.Protobuf;

namespace ConfigCluster.Storage;

/// <summary>A token as stored: the hash of its secret, never the secret.</summary>
public sealed record StoredToken(string Accessor, string Name, IReadOnlyList<string> Policies, DateTimeOffset? ExpiresAt, DateTimeOffset CreatedAt, bool Revoked, ReadOnlyMemory<byte> TokenHash)
{
    /// <summary>The token may be renewed before it expires (Vault's renewable tokens).</summary>
    public bool Renewable { get; init; }

    /// <summary>The lifetime it was created with (null: none).</summary>
    public TimeSpan? Ttl { get; init; }

    /// <summary>Renewals never extend it past this (its max TTL from creation); null: no cap.</summary>
    public DateTimeOffset? MaxExpiresAt { get; init; }

    /// <summary>The max TTL it was created with (null: none).</summary>
    public TimeSpan? MaxTtl { get; init; }

    /// <summary>Networks the token works from (Vault's <c>token_bound_cidrs</c>); empty: anywhere.</summary>
    public IReadOnlyList<string> BoundCidrs { get; init; } = [];

    /// <summary>A periodic token's period: each renewal extends it by this much (null: not periodic).</summary>
    public TimeSpan? Period { get; init; }
}

public sealed partial class FasterVersionedStore
{
    private long tokenCount;

    // Tokens and policies are answered from memory (HotMetadata): every request authenticates
    // and authorizes with them, and a FASTER read of an evicted record would wait on disk.

    /// <inheritdoc/>
    public StoredToken? FindToken(ReadOnlySpan<byte> tokenHash)
    {
        if (Volatile.Read(ref current).Metadata.FindToken(tokenHash) is not { } entry)
            return null;
        // The lookup was by hash; compare in constant time anyway before trusting it.
        return CryptographicOperations.FixedTimeEquals(entry.Token.TokenHash.Span, tokenHash) ? entry.Token : null;
    }

    /// <inheritdoc/>
    public IReadOnlyList<StoredToken> Tokens() => Volatile.Read(ref current).Metadata.Tokens(Volatile.Read(ref tokenCount));

    /// <inheritdoc/>
    public long TokenCount => Volatile.Read(ref tokenCount);

    /// <inheritdoc/>
    public PutPolicyOp? FindPolicy(string name) => Volatile.Read(ref current).Metadata.FindPolicy(name);

    // Writes a metadata record and folds it into the in-memory projection, so memory and FASTER
    // hold the same state a reload would rebuild.
    private void UpsertMetadata(byte[] key, byte[] value)
    {
        WriterInstance.Upsert(key, value);
        current.Metadata.Observe(key, value);
    }

    private CommandResult ApplyCreateToken(Command command, CreateTokenOp create)
    {
        if (create.TokenHash.Length != 32 || create.Accessor.Length is 0 or > 64 || create.Name.Length is 0 or > 128)
            return Invalid("token record is malformed");
        if (create.Bootstrap && tokenCount > 0)
            return new CommandResult { Code = ResultCode.ResultOk, Revision = revision, Message = "already bootstrapped" };
        if (current.Metadata.HashOfAccessor(create.Accessor) is not null)
            return Invalid($"accessor {create.Accessor} exists");

        if (create.TtlMs < 0 || create.MaxTtlMs < 0 || create.PeriodMs < 0)
            return Invalid("token lifetimes must not be negative");
        if (ConfigCluster.Core.Tokens.BoundCidrs.FirstInvalid(create.BoundCidrs) is { } badCidr)
            return Invalid($"bound_cidrs: '{badCidr}' is not a CIDR block or an address");

        // With log_time_expiry the expiry comes from the log clock, not from the accepting node's clock.
        var (expires, maxExpires) = (create.ExpiresUnixMs, 0L);
        if (create.LogTimeExpiry)
        {
            var now = LogNow(command, create.LogTimeEstimateMs);
            maxExpires = create.MaxTtlMs > 0 ? now + create.MaxTtlMs : 0;
            // A periodic token lives one period at a time (its TTL, if any, does not count).
            expires = create.PeriodMs > 0 ? now + create.PeriodMs : create.TtlMs > 0 ? now + create.TtlMs : 0;
            if (maxExpires > 0 && (expires == 0 || expires > maxExpires))
                expires = maxExpires;
        }

        var sequence = tokenCount + 1;
        UpsertMetadata(RecordKeys.Token(create.TokenHash.Span), new TokenRecord
        {
            TokenHash = create.TokenHash,
            Accessor = create.Accessor,
            Name = create.Name,
            Policies = { create.Policies },
            ExpiresUnixMs = expires,
            CreatedUnixMs = command.TimestampUnixMs,
            Renewable = create.Renewable || (create.LogTimeExpiry && create.PeriodMs > 0),
            TtlMs = create.TtlMs,
            MaxExpiresUnixMs = maxExpires,
            MaxTtlMs = maxExpires > 0 ? create.MaxTtlMs : 0,
            BoundCidrs = { create.BoundCidrs },
            PeriodMs = create.LogTimeExpiry ? create.PeriodMs : 0,
        }.ToByteArray());
        UpsertMetadata(RecordKeys.Accessor(create.Accessor), create.TokenHash.ToByteArray());
        UpsertMetadata(RecordKeys.TokenBySequence(sequence), create.TokenHash.ToByteArray());
        Volatile.Write(ref tokenCount, sequence);
        return new CommandResult { Code = ResultCode.ResultOk, Revision = revision, Version = sequence };
    }

    private CommandResult ApplyRevokeToken(RevokeTokenOp revoke)
    {
        if (current.Metadata.HashOfAccessor(revoke.Accessor) is not { } hash || current.Metadata.FindToken(hash) is not { } entry)
            return NotFound($"no token with accessor {revoke.Accessor}");
        var record = entry.Record.Clone();
        record.Revoked = true;
        UpsertMetadata(RecordKeys.Token(hash), record.ToByteArray());
        MarkLeasesOfToken(revoke.Accessor);
        return new CommandResult { Code = ResultCode.ResultOk, Revision = revision };
    }

    // Judged at the command's timestamp, so every node decides the same way.
    private CommandResult ApplyRenewToken(Command command, RenewTokenOp renew)
    {
        if (current.Metadata.HashOfAccessor(renew.Accessor) is not { } hash || current.Metadata.FindToken(hash) is not { } entry || entry.Record.Revoked)
            return NotFound($"no token with accessor {renew.Accessor}");
        if (!entry.Record.Renewable)
            return Invalid("the token is not renewable");
        var now = LogNow(command, renew.LogTimeEstimateMs);
        if (entry.Record.ExpiresUnixMs > 0 && entry.Record.ExpiresUnixMs <= now)
            return Invalid("the token has expired");
        // A periodic token is extended by its period, whatever increment was asked for (as Vault does).
        var expires = entry.Record.PeriodMs > 0 ? now + entry.Record.PeriodMs
            : renew.IncrementMs > 0 ? now + renew.IncrementMs : renew.ExpiresUnixMs;
        // A renewal never reaches past the token's max TTL.
        if (entry.Record.MaxExpiresUnixMs > 0 && expires > entry.Record.MaxExpiresUnixMs)
            expires = entry.Record.MaxExpiresUnixMs;
        if (expires <= now)
            return Invalid("a renewal must end in the future");
        var record = entry.Record.Clone();
        record.ExpiresUnixMs = expires;
        UpsertMetadata(RecordKeys.Token(hash), record.ToByteArray());
        return new CommandResult { Code = ResultCode.ResultOk, Revision = revision };
    }

    private CommandResult ApplyPutPolicy(PutPolicyOp put)
    {
        if (put.Name.Length is 0 or > 128)
            return Invalid("policy name must be 1 to 128 characters");
        UpsertMetadata(RecordKeys.Policy(put.Name), new PolicyRecord { Name = put.Name, PutPolicy = put.ToByteString() }.ToByteArray());
        return new CommandResult { Code = ResultCode.ResultOk, Revision = revision };
    }

    private CommandResult ApplyDeletePolicy(DeletePolicyOp delete)
    {
        if (!current.Metadata.HasPolicyRecord(delete.Name))
            return NotFound($"no policy {delete.Name}");
        UpsertMetadata(RecordKeys.Policy(delete.Name), new PolicyRecord { Name = delete.Name }.ToByteArray());
        return new CommandResult { Code = ResultCode.ResultOk, Revision = revision };
    }
}
