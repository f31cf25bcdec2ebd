using ConfigCluster.Contracts.V1;
using ConfigCluster.Server.Secrets;
using Grpc.Core;

namespace ConfigCluster.Server.Grpc;

/// <summary>The public Admin service (proto/configcluster/v1/admin.proto).</summary>
public sealed class AdminGrpcService(KeyRotation rotation) : Admin.AdminBase
{
    public override async Task<KeyringStatus> RotateDataKey(RotateDataKeyRequest request, ServerCallContext context)
        => ToStatus((await rotation.RotateAsync(context.CancellationToken)).OrThrow());

    public override async Task<RewrapResponse> Rewrap(RewrapRequest request, ServerCallContext context)
    {
        var (rewrapped, batches, report) = (await rotation.RewrapAsync(request.BatchSize, context.CancellationToken)).OrThrow();
        return new RewrapResponse { Rewrapped = rewrapped, Batches = batches, Status = ToStatus(report) };
    }

    public override Task<KeyringStatus> GetKeyring(GetKeyringRequest request, ServerCallContext context)
        => Task.FromResult(ToStatus(rotation.Report()));

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
