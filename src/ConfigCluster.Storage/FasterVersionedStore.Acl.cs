using System.Security.Cryptography;
using ConfigCluster.Core.Commands;
using ConfigCluster.Storage.Records;
using Google.Protobuf;

namespace ConfigCluster.Storage;

/// <summary>A token as stored: the hash of its secret, never the secret.</summary>
public sealed record StoredToken(string Accessor, string Name, IReadOnlyList<string> Policies, DateTimeOffset? ExpiresAt, DateTimeOffset CreatedAt, bool Revoked, ReadOnlyMemory<byte> TokenHash);

public sealed partial class FasterVersionedStore
{
    private long tokenCount;

    /// <inheritdoc/>
    public StoredToken? FindToken(ReadOnlySpan<byte> tokenHash)
    {
        swapGate.EnterReadLock();
        try
        {
            if (instance.Read(RecordKeys.Token(tokenHash)) is not { } bytes)
                return null;
            var record = TokenRecord.Parser.ParseFrom(bytes);
            // The lookup was by hash; compare in constant time anyway before trusting it.
            return CryptographicOperations.FixedTimeEquals(record.TokenHash.Span, tokenHash) ? ToToken(record) : null;
        }
        finally
        {
            swapGate.ExitReadLock();
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<StoredToken> Tokens()
    {
        swapGate.EnterReadLock();
        try
        {
            var tokens = new List<StoredToken>();
            for (var i = 1L; i <= Volatile.Read(ref tokenCount); i++)
            {
                if (instance.Read(RecordKeys.TokenBySequence(i)) is { } hash && instance.Read(RecordKeys.Token(hash)) is { } bytes)
                    tokens.Add(ToToken(TokenRecord.Parser.ParseFrom(bytes)));
            }

            return tokens;
        }
        finally
        {
            swapGate.ExitReadLock();
        }
    }

    /// <inheritdoc/>
    public PutPolicyOp? FindPolicy(string name)
    {
        swapGate.EnterReadLock();
        try
        {
            return instance.Read(RecordKeys.Policy(name)) is { } bytes && PolicyRecord.Parser.ParseFrom(bytes) is { PutPolicy.IsEmpty: false } record
                ? PutPolicyOp.Parser.ParseFrom(record.PutPolicy)
                : null;
        }
        finally
        {
            swapGate.ExitReadLock();
        }
    }

    private static StoredToken ToToken(TokenRecord record) => new(
        record.Accessor,
        record.Name,
        [.. record.Policies],
        record.ExpiresUnixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(record.ExpiresUnixMs) : null,
        DateTimeOffset.FromUnixTimeMilliseconds(record.CreatedUnixMs),
        record.Revoked,
        record.TokenHash.Memory);

    private CommandResult ApplyCreateToken(Command command, CreateTokenOp create)
    {
        if (create.TokenHash.Length != 32 || create.Accessor.Length is 0 or > 64 || create.Name.Length is 0 or > 128)
            return Invalid("token record is malformed");
        if (create.Bootstrap && tokenCount > 0)
            return new CommandResult { Code = ResultCode.ResultOk, Revision = revision, Message = "already bootstrapped" };
        if (instance.ReadForWrite(RecordKeys.Accessor(create.Accessor)) is not null)
            return Invalid($"accessor {create.Accessor} exists");

        var sequence = tokenCount + 1;
        instance.Upsert(RecordKeys.Token(create.TokenHash.Span), new TokenRecord
        {
            TokenHash = create.TokenHash,
            Accessor = create.Accessor,
            Name = create.Name,
            Policies = { create.Policies },
            ExpiresUnixMs = create.ExpiresUnixMs,
            CreatedUnixMs = command.TimestampUnixMs,
        }.ToByteArray());
        instance.Upsert(RecordKeys.Accessor(create.Accessor), create.TokenHash.ToByteArray());
        instance.Upsert(RecordKeys.TokenBySequence(sequence), create.TokenHash.ToByteArray());
        Volatile.Write(ref tokenCount, sequence);
        return new CommandResult { Code = ResultCode.ResultOk, Revision = revision, Version = sequence };
    }

    private CommandResult ApplyRevokeToken(RevokeTokenOp revoke)
    {
        if (instance.ReadForWrite(RecordKeys.Accessor(revoke.Accessor)) is not { } hash || instance.ReadForWrite(RecordKeys.Token(hash)) is not { } bytes)
            return NotFound($"no token with accessor {revoke.Accessor}");
        var record = TokenRecord.Parser.ParseFrom(bytes);
        record.Revoked = true;
        instance.Upsert(RecordKeys.Token(hash), record.ToByteArray());
        return new CommandResult { Code = ResultCode.ResultOk, Revision = revision };
    }

    private CommandResult ApplyPutPolicy(PutPolicyOp put)
    {
        if (put.Name.Length is 0 or > 128)
            return Invalid("policy name must be 1 to 128 characters");
        instance.Upsert(RecordKeys.Policy(put.Name), new PolicyRecord { Name = put.Name, PutPolicy = put.ToByteString() }.ToByteArray());
        return new CommandResult { Code = ResultCode.ResultOk, Revision = revision };
    }

    private CommandResult ApplyDeletePolicy(DeletePolicyOp delete)
    {
        if (instance.ReadForWrite(RecordKeys.Policy(delete.Name)) is null)
            return NotFound($"no policy {delete.Name}");
        instance.Upsert(RecordKeys.Policy(delete.Name), new PolicyRecord { Name = delete.Name }.ToByteArray());
        return new CommandResult { Code = ResultCode.ResultOk, Revision = revision };
    }
}
