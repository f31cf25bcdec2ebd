using ConfigCluster.Contracts.V1;
using ConfigCluster.Server.Operations;
using ConfigCluster.Server.Secrets;
using Google.Protobuf;
using Grpc.Core;

namespace ConfigCluster.Server.Grpc;

/// <summary>The public Admin service (proto/configcluster/v1/admin.proto).</summary>
public sealed class AdminGrpcService(KeyRotation rotation, MasterKeyRotation masterKeys, SecretKeyring keyring, SnapshotBackup backup, LeadershipTransfer leadership, HistoryRetention retention, Membership membership) : Admin.AdminBase
{
    public override async Task<MembersResponse> ListMembers(ListMembersRequest request, ServerCallContext context)
        => Members(await membership.ListAsync(context.CancellationToken));

    public override async Task<MembersResponse> AddMember(AddMemberRequest request, ServerCallContext context)
        => Members((await membership.AddAsync(request.Raft, context.CancellationToken)).OrThrow());

    public override async Task<MembersResponse> RemoveMember(RemoveMemberRequest request, ServerCallContext context)
        => Members((await membership.RemoveAsync(request.NodeId, context.CancellationToken)).OrThrow());

    private static MembersResponse Members(IReadOnlyList<Consensus.MemberStatus> members)
    {
        var response = new MembersResponse();
        response.Members.AddRange(members.Select(ClusterGrpcService.ToMember));
        return response;
    }

    public override Task<Retention> GetRetention(GetRetentionRequest request, ServerCallContext context)
        => Task.FromResult(Describe(Scope(request.Namespace), retention.Get(Scope(request.Namespace))));

    public override async Task<Retention> SetRetention(Retention request, ServerCallContext context)
    {
        var ns = Scope(request.Namespace);
        var policy = (await retention.SetAsync(ns, request.MaxVersions, TimeSpan.FromSeconds(request.MaxAgeSeconds), context.CancellationToken)).OrThrow();
        return Describe(ns, policy);
    }

    public override async Task<CompactResponse> Compact(CompactRequest request, ServerCallContext context)
    {
        var report = (await retention.CompactAsync(Scope(request.Namespace), author: null, context.CancellationToken)).OrThrow();
        return new CompactResponse { Removed = report.Removed, OldestRevision = report.OldestRevision };
    }

    private static string Scope(string ns) => ns.Length == 0 ? "default" : ns;

    private Retention Describe(string ns, Storage.RetentionPolicy? policy) => new()
    {
        Namespace = ns,
        MaxVersions = policy?.MaxVersions ?? 0,
        MaxAgeSeconds = (long)(policy?.MaxAge.TotalSeconds ?? 0),
        OldestRevision = retention.OldestRevision,
    };

    private const int ChunkBytes = 256 << 10;

    public override async Task SaveSnapshot(SaveSnapshotRequest request, IServerStreamWriter<SnapshotChunk> responseStream, ServerCallContext context)
    {
        using var file = (await (request.Local ? backup.TakeLocalAsync(context.CancellationToken) : backup.TakeAsync(context.CancellationToken))).OrThrow();
        await using var input = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.Read, ChunkBytes, FileOptions.Asynchronous | FileOptions.SequentialScan);
        var buffer = new byte[ChunkBytes];
        var first = true;
        int read;
        while ((read = await input.ReadAsync(buffer, context.CancellationToken)) > 0 || first)
        {
            var chunk = new SnapshotChunk { Data = ByteString.CopyFrom(buffer, 0, read) };
            if (first)
            {
                chunk.Revision = file.Revision;
                chunk.Size = file.Size;
                chunk.Sha256 = file.Sha256;
                chunk.RaftIndex = file.RaftIndex;
                first = false;
            }

            await responseStream.WriteAsync(chunk, context.CancellationToken);
        }
    }

    public override async Task<TransferLeadershipResponse> TransferLeadership(TransferLeadershipRequest request, ServerCallContext context)
    {
        var transfer = await leadership.TransferAsync(string.IsNullOrEmpty(request.To) ? null : request.To, context.CancellationToken);
        if (transfer.Error is { } error)
            throw new RpcException(new Status(transfer.UnknownTarget ? StatusCode.InvalidArgument : StatusCode.FailedPrecondition, error));
        return new TransferLeadershipResponse
        {
            PreviousLeader = transfer.PreviousLeader ?? "",
            Leader = transfer.Leader ?? "",
            Term = transfer.Term,
        };
    }

    public override async Task<Contracts.V1.MasterKeyStatus> RotateMasterKey(RotateMasterKeyRequest request, ServerCallContext context)
    {
        if (request.NewKey.Length != Core.Crypto.MasterKey.Size)
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"new_key must be {Core.Crypto.MasterKey.Size} bytes"));
        var key = new Core.Crypto.MasterKey(request.NewKey.Span);
        var status = request.PrepareOnly ? masterKeys.Prepare(key) : (await masterKeys.RotateAsync(key, context.CancellationToken)).OrThrow();
        return new Contracts.V1.MasterKeyStatus
        {
            KeyCheck = status.KeyCheck,
            Generation = status.Generation,
            DataKeys = status.DataKeys,
            TransitKeyVersions = status.TransitKeyVersions,
            StagedKeyCheck = keyring.StagedKeyCheck ?? "",
            Sealed = keyring.SealedReason is not null,
        };
    }

    public override async Task<KeyringStatus> RotateDataKey(RotateDataKeyRequest request, ServerCallContext context)
        => ToStatus((await rotation.RotateAsync(context.CancellationToken)).OrThrow());

    public override async Task<RewrapResponse> Rewrap(RewrapRequest request, ServerCallContext context)
    {
        var (rewrapped, batches, report) = (await rotation.RewrapAsync(request.BatchSize, context.CancellationToken)).OrThrow();
        return new RewrapResponse { Rewrapped = rewrapped, Batches = batches, Status = ToStatus(report) };
    }

    public override async Task<KeyringStatus> GetKeyring(GetKeyringRequest request, ServerCallContext context)
        => ToStatus(await rotation.ReportAsync(context.CancellationToken));

    private static KeyringStatus ToStatus(KeyringReport report)
    {
        var status = new KeyringStatus { PendingRewrap = report.PendingRewrap };
        foreach (var key in report.Keys)
        {
            status.Keys.Add(new DataKeyInfo
            {
                Sequence = key.Sequence,
                Id = key.Id,
                CreatedAtUnixMs = key.CreatedAt.ToUnixTimeMilliseconds(),
                SealedVersions = key.SealedVersions,
                Newest = key.Newest,
            });
        }

        return status;
    }
}
