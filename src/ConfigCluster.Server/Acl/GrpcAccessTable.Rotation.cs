using ConfigCluster.Contracts.V1;
using V1 = ConfigCluster.Contracts.V1;

namespace ConfigCluster.Server.Acl;

// The Rotation service: policies are admin, a rotation needs write on its key, a status read on it (as over HTTP).
public static partial class GrpcAccessTable
{
    private static void AddRotation(Dictionary<string, Entry> t)
    {
        Add<RotateRequest>(t, V1.Rotation.Descriptor, "Rotate", static r => OnKey("rotate", Capability.Write, r.Path));
        Add<GetRotationStatusRequest>(t, V1.Rotation.Descriptor, "GetStatus", static r => OnKey("rotation.status", Capability.Read, r.Path));
        Add<RotationPolicy>(t, V1.Rotation.Descriptor, "SetPolicy", static _ => AdminOnCluster("rotation.policy.write"));
        Add<GetRotationPolicyRequest>(t, V1.Rotation.Descriptor, "GetPolicy", static _ => AdminOnCluster("rotation.policy.read"));
        Add<ListRotationPoliciesRequest>(t, V1.Rotation.Descriptor, "ListPolicies", static _ => AdminOnCluster("rotation.policy.list"));
        Add<DeleteRotationPolicyRequest>(t, V1.Rotation.Descriptor, "DeletePolicy", static _ => AdminOnCluster("rotation.policy.delete"));
    }
}
