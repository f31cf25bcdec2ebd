using ConfigCluster.Contracts.V1;
using V1 = ConfigCluster.Contracts.V1;

namespace ConfigCluster.Server.Acl;

// The declarations, one per method, grouped by service.
public static partial class GrpcAccessTable
{
    private static Dictionary<string, Entry> Build()
    {
        var t = new Dictionary<string, Entry>(StringComparer.Ordinal);

        Add<GetRequest>(t, V1.KV.Descriptor, "Get", static r => OnKey("read", Capability.Read, r.Path, r.Version == 0 ? null : r.Version));
        Add<PutRequest>(t, V1.KV.Descriptor, "Put", static r => OnKey("write", Capability.Write, r.Path));
        Add<DeleteRequest>(t, V1.KV.Descriptor, "Delete", static r => OnKey("delete", Capability.Delete, r.Path));
        Add<RollbackRequest>(t, V1.KV.Descriptor, "Rollback", static r => OnKey("rollback", Capability.Rollback, r.Path, r.ToVersion));
        Add<HistoryRequest>(t, V1.KV.Descriptor, "History", static r => OnKey("history", Capability.History, r.Path));
        Add<ListRequest>(t, V1.KV.Descriptor, "List", static r => new("list", Capability.List, Scope(r.Namespace), Scope(r.Environment), null));

        Add<WatchRequest>(t, V1.Watch.Descriptor, "Watch", static r => OnWatch(r));
        // Many watches on one stream: opening it needs the watch capability somewhere; each create
        // is then checked (and audited) as a Watch call with its request (WatchManyService).
        AddStreamed<WatchManyRequest>(t, V1.Watch.Descriptor, "WatchMany", WatchManyOpening,
            static r => r.Create is { } create ? OnWatch(create.Watch ?? new WatchRequest()) : WatchManyOpening);

        Add<SetEnvironmentRequest>(t, V1.Environments.Descriptor, "SetEnvironment", static r => new("environment.write", Capability.Admin, Scope(r.Namespace), "*", null));
        Add<GetEnvironmentRequest>(t, V1.Environments.Descriptor, "GetEnvironment", static r => new("environment.read", Capability.List, Scope(r.Namespace), Scope(r.Environment), null));
        Add<ListEffectiveRequest>(t, V1.Environments.Descriptor, "ListEffective", static r => new("list", Capability.List, Scope(r.Namespace), Scope(r.Environment), null));
        // Multi-key operations: the scope-level capability here; each item is checked by the application layer.
        Add<DiffRequest>(t, V1.Environments.Descriptor, "Diff", static r => new("diff", Capability.List, Scope(r.Namespace), Scope(r.To), null));
        Add<PromoteRequest>(t, V1.Environments.Descriptor, "Promote", static r => new("promote", Capability.Write, Scope(r.Namespace), Scope(r.To), null));
        Add<ChangeSetRequest>(t, V1.Environments.Descriptor, "ApplyChangeSet", static _ => new("changeset", Capability.Write, "*", "*", null, AnyScope: true));

        Add<CreateTokenRequest>(t, V1.Acl.Descriptor, "CreateToken", static _ => AdminOnCluster("token.create"));
        Add<ListTokensRequest>(t, V1.Acl.Descriptor, "ListTokens", static _ => AdminOnCluster("token.list"));
        Add<RevokeTokenRequest>(t, V1.Acl.Descriptor, "RevokeToken", static _ => AdminOnCluster("token.revoke"));
        Add<PutPolicyRequest>(t, V1.Acl.Descriptor, "PutPolicy", static _ => AdminOnCluster("policy.write"));

        Add<RotateDataKeyRequest>(t, V1.Admin.Descriptor, "RotateDataKey", static _ => AdminOnCluster("keys.rotate"));
        Add<RotateMasterKeyRequest>(t, V1.Admin.Descriptor, "RotateMasterKey", static _ => AdminOnCluster("sys.master-key.rotate"));
        Add<RewrapRequest>(t, V1.Admin.Descriptor, "Rewrap", static _ => AdminOnCluster("keys.rewrap"));
        Add<GetKeyringRequest>(t, V1.Admin.Descriptor, "GetKeyring", static _ => AdminOnCluster("keys.read"));
        Add<SaveSnapshotRequest>(t, V1.Admin.Descriptor, "SaveSnapshot", static _ => AdminOnCluster("snapshot"));
        Add<TransferLeadershipRequest>(t, V1.Admin.Descriptor, "TransferLeadership", static _ => AdminOnCluster("leader.transfer"));
        Add<GetRetentionRequest>(t, V1.Admin.Descriptor, "GetRetention", static r => new("retention.read", Capability.Admin, Scope(r.Namespace), "*", null));
        Add<Retention>(t, V1.Admin.Descriptor, "SetRetention", static r => new("retention.write", Capability.Admin, Scope(r.Namespace), "*", null));
        Add<CompactRequest>(t, V1.Admin.Descriptor, "Compact", static r => new("compact", Capability.Admin, Scope(r.Namespace), "*", null));
        Add<ListMembersRequest>(t, V1.Admin.Descriptor, "ListMembers", static _ => AdminOnCluster("members.list"));
        Add<AddMemberRequest>(t, V1.Admin.Descriptor, "AddMember", static _ => AdminOnCluster("members.add"));
        Add<RemoveMemberRequest>(t, V1.Admin.Descriptor, "RemoveMember", static _ => AdminOnCluster("members.remove"));
        AddRotation(t); // GrpcAccessTable.Rotation.cs
        AddLeases(t); // GrpcAccessTable.Leases.cs
        return t;
    }

    // Not a static field: Entries (in the other part of this class) is built before this part's fields are set.
    private static AccessRequest WatchManyOpening => new("watch.stream", Capability.Watch, "*", "*", null, AnyScope: true);

    private static AccessRequest OnWatch(WatchRequest r)
        => new("watch", Capability.Watch, Scope(r.Namespace), Scope(r.Environment), string.IsNullOrEmpty(r.Key) ? null : r.Key);

    private static AccessRequest AdminOnCluster(string operation) => new(operation, Capability.Admin, "*", "*", null);
}
