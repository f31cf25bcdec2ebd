using ConfigCluster.Contracts.V1;
using Grpc.Core;

namespace ConfigCluster.Client;

/// <summary>What a saved snapshot holds.</summary>
/// <param name="Revision">The store revision the snapshot is a copy of.</param>
/// <param name="Size">Bytes written.</param>
/// <param name="Sha256">Hex SHA-256 of the bytes written, as the server computed it.</param>
public sealed record SnapshotInfo(long Revision, long Size, string Sha256)
{
    /// <summary>The Raft index the snapshot holds everything up to (for a local snapshot: the node's applied index).</summary>
    public long RaftIndex { get; init; }
}

public sealed partial class ConfigClusterClient
{
    /// <summary>The keyring: data keys and how many secret versions each seals (admin).</summary>
    public Task<KeyringStatus> GetKeyringAsync(CancellationToken token = default)
        => ReadAsync("GetKeyring", deadline => AdminClient.GetKeyringAsync(new GetKeyringRequest(), deadline: deadline, cancellationToken: token).ResponseAsync, token);

    /// <summary>
    /// Re-wraps the keyring under <paramref name="newKey"/> (32 bytes) through the log (admin); with
    /// <paramref name="prepareOnly"/>, gives the key to the node called ahead of the rotation. Not
    /// re-sent after an unknown outcome.
    /// </summary>
    public Task<MasterKeyStatus> RotateMasterKeyAsync(ReadOnlyMemory<byte> newKey, bool prepareOnly = false, CancellationToken token = default)
        => WriteAsync("RotateMasterKey", CallKind.OnceWrite, deadline => AdminClient.RotateMasterKeyAsync(new RotateMasterKeyRequest { NewKey = Google.Protobuf.ByteString.CopyFrom(newKey.Span), PrepareOnly = prepareOnly }, deadline: deadline, cancellationToken: token).ResponseAsync, token);

    /// <summary>Adds a data key; new secret writes use it (admin). Not re-sent after an unknown outcome.</summary>
    public Task<KeyringStatus> RotateDataKeyAsync(CancellationToken token = default)
        => WriteAsync("RotateDataKey", CallKind.OnceWrite, deadline => AdminClient.RotateDataKeyAsync(new RotateDataKeyRequest(), deadline: deadline, cancellationToken: token).ResponseAsync, token);

    /// <summary>Re-seals stored secret versions under the newest data key, in batches (admin; harmless to repeat).</summary>
    public Task<RewrapResponse> RewrapAsync(int batchSize = 0, CancellationToken token = default)
        => WriteAsync("Rewrap", CallKind.IdempotentWrite, deadline => AdminClient.RewrapAsync(new RewrapRequest { BatchSize = batchSize }, deadline: deadline, cancellationToken: token).ResponseAsync, token);

    /// <summary>
    /// Writes a consistent point-in-time snapshot of the whole store to <paramref name="destination"/>
    /// (admin). Secrets stay ciphertext. The stream must be seekable: a failed attempt is
    /// truncated before the next node is tried.
    /// </summary>
    /// <param name="destination">Where the snapshot goes.</param>
    /// <param name="local">
    /// The serving node's own state, without the log: works without a quorum (disaster recovery
    /// from a surviving node; point the client at that node alone). It holds what that node has
    /// applied, marked with its applied index (<see cref="SnapshotInfo.RaftIndex"/>).
    /// </param>
    /// <param name="token">Cancels the call.</param>
    /// <exception cref="InvalidDataException">The bytes received do not match the server's checksum.</exception>
    public Task<SnapshotInfo> SaveSnapshotAsync(Stream destination, bool local = false, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (!destination.CanSeek || !destination.CanWrite)
            throw new ArgumentException("the destination must be a writable, seekable stream (a file)", nameof(destination));
        return ReadAsync("SaveSnapshot", async deadline =>
        {
            destination.SetLength(0);
            using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
            using var call = AdminClient.SaveSnapshot(new SaveSnapshotRequest { Local = local }, deadline: deadline, cancellationToken: token);
            SnapshotChunk? first = null;
            long size = 0;
            await foreach (var chunk in call.ResponseStream.ReadAllAsync(token).ConfigureAwait(false))
            {
                first ??= chunk;
                await destination.WriteAsync(chunk.Data.Memory, token).ConfigureAwait(false);
                hash.AppendData(chunk.Data.Span);
                size += chunk.Data.Length;
            }

            await destination.FlushAsync(token).ConfigureAwait(false);
            if (first is null)
                throw new InvalidDataException("the server sent no snapshot");
            var sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (size != first.Size || sha256 != first.Sha256)
                throw new InvalidDataException($"the snapshot arrived damaged: {size} bytes with SHA-256 {sha256}, the server sent {first.Size} bytes with {first.Sha256}");
            return new SnapshotInfo(first.Revision, size, sha256) { RaftIndex = first.RaftIndex };
        }, token);
    }

    /// <summary>
    /// Asks the leader to step down so another member leads; with <paramref name="toNodeId"/>,
    /// until that member leads (admin). Not re-sent after an unknown outcome.
    /// </summary>
    public Task<TransferLeadershipResponse> TransferLeadershipAsync(string? toNodeId = null, CancellationToken token = default)
        => WriteAsync(
            "TransferLeadership",
            CallKind.OnceWrite,
            deadline => AdminClient.TransferLeadershipAsync(new TransferLeadershipRequest { To = toNodeId ?? "" }, deadline: deadline, cancellationToken: token).ResponseAsync,
            token);

    /// <summary>The history retention of <paramref name="ns"/> (default: the client's namespace); 0 = no limit (admin).</summary>
    public Task<Retention> GetRetentionAsync(string? ns = null, CancellationToken token = default)
        => ReadAsync("GetRetention", deadline => AdminClient.GetRetentionAsync(new GetRetentionRequest { Namespace = ns ?? options.Namespace }, deadline: deadline, cancellationToken: token).ResponseAsync, token);

    /// <summary>
    /// Keeps at most <paramref name="maxVersions"/> versions per key and/or versions younger than
    /// <paramref name="maxAge"/> in <paramref name="ns"/> (0 / zero = no limit; the newest version is always kept) (admin).
    /// </summary>
    public Task<Retention> SetRetentionAsync(long maxVersions, TimeSpan maxAge, string? ns = null, CancellationToken token = default)
    {
        var request = new Retention { Namespace = ns ?? options.Namespace, MaxVersions = maxVersions, MaxAgeSeconds = (long)maxAge.TotalSeconds };
        return WriteAsync("SetRetention", CallKind.IdempotentWrite, deadline => AdminClient.SetRetentionAsync(request, deadline: deadline, cancellationToken: token).ResponseAsync, token);
    }

    /// <summary>Applies the retention of <paramref name="ns"/> now (admin; harmless to repeat).</summary>
    public Task<CompactResponse> CompactAsync(string? ns = null, CancellationToken token = default)
        => WriteAsync("Compact", CallKind.IdempotentWrite, deadline => AdminClient.CompactAsync(new CompactRequest { Namespace = ns ?? options.Namespace }, deadline: deadline, cancellationToken: token).ResponseAsync, token);

    /// <summary>The members as the answering node sees them (admin).</summary>
    public async Task<IReadOnlyList<Member>> ListMembersAsync(CancellationToken token = default)
        => (await ReadAsync("ListMembers", deadline => AdminClient.ListMembersAsync(new ListMembersRequest(), deadline: deadline, cancellationToken: token).ResponseAsync, token).ConfigureAwait(false)).Members;

    /// <summary>
    /// Adds the node whose Raft endpoint is <paramref name="raft"/> (started with <c>--join</c>);
    /// it is caught up before it votes (admin; harmless to repeat).
    /// </summary>
    public async Task<IReadOnlyList<Member>> AddMemberAsync(string raft, CancellationToken token = default)
        => (await WriteAsync("AddMember", CallKind.IdempotentWrite, deadline => AdminClient.AddMemberAsync(new AddMemberRequest { Raft = raft }, deadline: deadline, cancellationToken: token).ResponseAsync, token).ConfigureAwait(false)).Members;

    /// <summary>Removes the member named <paramref name="nodeId"/> (admin; refused when it would cost the majority).</summary>
    public async Task<IReadOnlyList<Member>> RemoveMemberAsync(string nodeId, CancellationToken token = default)
        => (await WriteAsync("RemoveMember", CallKind.OnceWrite, deadline => AdminClient.RemoveMemberAsync(new RemoveMemberRequest { NodeId = nodeId }, deadline: deadline, cancellationToken: token).ResponseAsync, token).ConfigureAwait(false)).Members;
}
