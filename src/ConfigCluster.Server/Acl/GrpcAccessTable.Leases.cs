using ConfigCluster.Contracts.V1;
using V1 = ConfigCluster.Contracts.V1;

namespace ConfigCluster.Server.Acl;

// The Leases service: the same policy paths and capabilities as Vault's /v1/sys/leases routes
// (LeaseEndpoints): write on sys/leases/renew, revoke, lookup; list on sys/leases/lookup.
public static partial class GrpcAccessTable
{
    private static void AddLeases(Dictionary<string, Entry> t)
    {
        Add<ListLeasesRequest>(t, V1.Leases.Descriptor, "List", static _ => OnLeases("leases.list", Capability.List, "lookup"));
        Add<LeaseRequest>(t, V1.Leases.Descriptor, "Lookup", static _ => OnLeases("leases.lookup", Capability.Write, "lookup"));
        Add<RenewLeaseRequest>(t, V1.Leases.Descriptor, "Renew", static _ => OnLeases("leases.renew", Capability.Write, "renew"));
        Add<LeaseRequest>(t, V1.Leases.Descriptor, "Revoke", static _ => OnLeases("leases.revoke", Capability.Write, "revoke"));
    }

    private static AccessRequest OnLeases(string operation, Capability capability, string path)
        => new(operation, capability, Core.Keys.KeyPath.DefaultScope, Core.Keys.KeyPath.DefaultScope, "sys/leases/" + path);
}
