using ConfigCluster.Contracts.V1;
using ConfigCluster.Server.Application;
using ConfigCluster.Server.Faces.Database;
using ConfigCluster.Server.Faces.Vault;
using ConfigCluster.Storage;
using Grpc.Core;

namespace ConfigCluster.Server.Grpc;

/// <summary>
/// The public Leases service (proto/configcluster/v1/leases.proto): list, look up, renew and
/// revoke the leases of dynamic database credentials, over the same <see cref="DatabaseEngine"/>
/// as Vault's <c>/v1/sys/leases</c> routes (<see cref="LeaseEndpoints"/>).
/// </summary>
internal sealed class LeasesGrpcService(DatabaseEngine engine, TimeProvider clock) : Leases.LeasesBase
{
    public override async Task<ListLeasesResponse> List(ListLeasesRequest request, ServerCallContext context)
    {
        var response = new ListLeasesResponse();
        response.LeaseIds.AddRange((await engine.LeasesAsync(request.Prefix, context.CancellationToken)).OrThrow().Select(static l => l.LeaseId).Order(StringComparer.Ordinal));
        return response;
    }

    public override async Task<Lease> Lookup(LeaseRequest request, ServerCallContext context)
        => ToContract((await engine.LookupAsync(Validate(request.LeaseId), context.CancellationToken)).OrThrow());

    public override async Task<Lease> Renew(RenewLeaseRequest request, ServerCallContext context)
    {
        var leaseId = Validate(request.LeaseId);
        if (request.IncrementSeconds < 0)
            throw Invalid("increment_seconds cannot be negative");
        var increment = TimeSpan.FromSeconds(Math.Min(request.IncrementSeconds, (long)TimeSpan.FromDays(36_500).TotalSeconds));
        return ToContract((await engine.RenewAsync(leaseId, increment, context.CancellationToken)).OrThrow());
    }

    public override async Task<RevokeLeaseResponse> Revoke(LeaseRequest request, ServerCallContext context)
    {
        var error = await engine.RevokeAsync(Validate(request.LeaseId), RevokeReason.Explicit, context.CancellationToken);
        LeaseMeters.CountRevocation(error is null);
        return error is null ? new RevokeLeaseResponse() : throw GrpcErrors.ToRpcException(error);
    }

    private static string Validate(string leaseId) => leaseId switch
    {
        "" => throw Invalid("lease_id is required"),
        { Length: > FasterVersionedStore.MaxLeaseIdLength } => throw Invalid("invalid lease"),
        _ => leaseId,
    };

    private static RpcException Invalid(string message) => GrpcErrors.ToRpcException(new ConfigError(ConfigErrorCode.InvalidArgument, message));

    private Lease ToContract(StoredLease lease) => new()
    {
        LeaseId = lease.LeaseId, IssueTime = VaultResponse.Time(lease.IssuedAt), ExpireTime = VaultResponse.Time(lease.ExpiresAt),
        LastRenewal = VaultResponse.Time(lease.LastRenewedAt), Renewable = !lease.Revoking,
        TtlSeconds = Math.Max(0, (long)(lease.ExpiresAt - clock.GetUtcNow()).TotalSeconds),
    };
}
