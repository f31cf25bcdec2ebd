using ConfigCluster.Server.Acl;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Watch;

/// <summary>
/// What a watcher may see: events only for keys its token may watch, and the stream ends once
/// the token stops working (revoked or expired), checked on every batch and progress tick.
/// </summary>
public sealed class WatchAccess(CallerIdentity caller, string? bearer, AccessGate gate)
{
    public bool Allows(StoredVersion change)
        => gate.Allows(caller, Capability.Watch, change.Path.Namespace, change.Path.Environment, change.Path.Key);

    public bool StillValid() => gate.StillValid(bearer);

    /// <summary>The access of the caller of the current request, or null when no caller is known.</summary>
    public static WatchAccess? ForCurrentCaller(string? bearer, AccessGate gate)
        => CallerIdentity.Current is { } caller ? new WatchAccess(caller, bearer, gate) : null;
}
