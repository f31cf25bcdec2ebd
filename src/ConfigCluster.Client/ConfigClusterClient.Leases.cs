using ConfigCluster.Contracts.V1;

namespace ConfigCluster.Client;

public sealed partial class ConfigClusterClient
{
    private Contracts.V1.Leases.LeasesClient LeasesClient { get; }

    /// <summary>The ids of the leases (of dynamic database credentials) starting with <paramref name="prefix"/>, in order; every lease for "".</summary>
    public async Task<IReadOnlyList<string>> ListLeasesAsync(string prefix = "", CancellationToken token = default)
        => (await ReadAsync("ListLeases", deadline => LeasesClient.ListAsync(new ListLeasesRequest { Prefix = prefix ?? "" }, deadline: deadline, cancellationToken: token).ResponseAsync, token).ConfigureAwait(false)).LeaseIds;

    /// <summary>A lease's metadata: issue and expiry times, last renewal, time left (never the credential).</summary>
    public Task<Lease> LookupLeaseAsync(string leaseId, CancellationToken token = default)
        => ReadAsync("LookupLease", deadline => LeasesClient.LookupAsync(new LeaseRequest { LeaseId = leaseId ?? "" }, deadline: deadline, cancellationToken: token).ResponseAsync, token);

    /// <summary>
    /// Extends a lease by <paramref name="increment"/> from now (null: its role's default ttl), never past its
    /// max_ttl, and the database login with it. Harmless to repeat.
    /// </summary>
    public Task<Lease> RenewLeaseAsync(string leaseId, TimeSpan? increment = null, CancellationToken token = default)
    {
        var request = new RenewLeaseRequest { LeaseId = leaseId ?? "", IncrementSeconds = increment is { } i ? (long)Math.Ceiling(i.TotalSeconds) : 0 };
        return WriteAsync("RenewLease", CallKind.IdempotentWrite, deadline => LeasesClient.RenewAsync(request, deadline: deadline, cancellationToken: token).ResponseAsync, token);
    }

    /// <summary>Revokes a lease: its database user is dropped. A lease already gone counts as revoked, so this is harmless to repeat.</summary>
    public Task RevokeLeaseAsync(string leaseId, CancellationToken token = default)
        => WriteAsync("RevokeLease", CallKind.IdempotentWrite, deadline => LeasesClient.RevokeAsync(new LeaseRequest { LeaseId = leaseId ?? "" }, deadline: deadline, cancellationToken: token).ResponseAsync, token);
}
