namespace ConfigCluster.Server.Acl;

/// <summary>What the gate decided.</summary>
public enum AccessDecision
{
    Allowed,
    Unauthenticated,
    Forbidden,
    AuditFailed,

    /// <summary>This node cannot judge the token yet (it holds no tokens: not caught up); 503 / UNAVAILABLE, so clients try another node.</summary>
    NotCaughtUp,
}

/// <summary>How much of the cluster status a caller may see.</summary>
public enum StatusDetail
{
    /// <summary>Node id, role, leader id and term.</summary>
    Basic,

    /// <summary>Also the log and store indexes and the members.</summary>
    Full,

    /// <summary>Also the digest of the whole store (expensive; admin only).</summary>
    Digest,
}

/// <summary>
/// One request's target: the capability it needs and the key it touches (null for scope-wide
/// calls). <paramref name="AnyScope"/>: the capability anywhere is enough (multi-key requests whose
/// items are checked one by one later). <see cref="Capability.None"/> is never granted: it is
/// what a route without an access declaration gets.
/// </summary>
public sealed record AccessRequest(string Operation, Capability Capability, string Namespace, string Environment, string? Key, long? Version = null, bool AnyScope = false)
{
    /// <summary>Any working token is enough (routes acting on the caller's own token).</summary>
    public bool TokenOnly { get; init; }
}

/// <summary>
/// Authenticates, authorizes and audits every request, for the HTTP and gRPC edges alike.
/// A request is served only once its audit record is written.
/// </summary>
public sealed partial class AccessGate(TokenAuthenticator authenticator, PolicyEvaluator policies, AuditLog audit, NodeSettings settings, TimeProvider clock, ILogger<AccessGate> logger,
    Application.IReadBarrier barrier)
{
    private static readonly AccessRequest DigestRequest = new("cluster.digest", Capability.Admin, "*", "*", null);

    /// <summary>
    /// Decides and audits one request; the answer comes once the audit record is durable
    /// (or with <see cref="AccessDecision.AuditFailed"/> when it could not be written).
    /// </summary>
    public async ValueTask<(AccessDecision Decision, CallerIdentity? Caller, string Message)> CheckAsync(string? bearer, System.Net.IPAddress? source, AccessRequest request, CancellationToken token)
    {
        var (caller, failure) = await AuthenticateCurrentAsync(bearer, source, token);
        AccessDecision decision;
        string message;
        if (failure == AuthenticationFailure.NotCaughtUp)
        {
            decision = AccessDecision.NotCaughtUp;
            message = "this node has not caught up with the cluster yet (it knows no tokens); try another node";
        }
        else if (failure == AuthenticationFailure.OutsideBoundNetworks)
        {
            decision = AccessDecision.Forbidden;
            message = "permission denied: the token may not be used from this address";
        }
        else if (caller is null)
        {
            decision = AccessDecision.Unauthenticated;
            message = failure switch
            {
                AuthenticationFailure.Missing => "a token is required: Authorization: Bearer <token>",
                AuthenticationFailure.Revoked => "the token was revoked",
                AuthenticationFailure.Expired => "the token has expired",
                _ => "the token is not known",
            };
            if (failure == AuthenticationFailure.Unknown)
            {
                var (tokens, applied) = authenticator.StoreState;
                Log.UnknownToken(logger, tokens, applied);
            }
        }
        else if (request.TokenOnly || (request.Capability != Capability.None && (request.AnyScope ? policies.MayHaveAnywhere(caller, request.Capability)
            : request.Key is null ? policies.MayHaveAny(caller, request.Capability, request.Namespace, request.Environment)
            : policies.IsAllowed(caller, request.Capability, request.Namespace, request.Environment, request.Key))))
        {
            decision = AccessDecision.Allowed;
            message = "";
        }
        else
        {
            decision = AccessDecision.Forbidden;
            message = request.Capability == Capability.None
                ? $"'{request.Operation}' declares no access rule, so it is refused"
                : $"token '{caller.Name}' lacks the '{Capabilities.Name(request.Capability)}' capability" + (request.Key is null ? "" : $" on '{request.Key}'");
        }

        try
        {
            await audit.WriteAsync(new AuditRecord(clock.GetUtcNow(), settings.NodeId, caller?.Name, caller?.Accessor, request.Operation, request.Key,
                request.Namespace, request.Environment, decision switch { AccessDecision.Allowed => "allow", AccessDecision.Forbidden => "deny", AccessDecision.NotCaughtUp => "unavailable", _ => "unauthenticated" }, request.Version), token);
        }
        catch (IOException e)
        {
            Log.AuditFailed(logger, e.Message);
            return (AccessDecision.AuditFailed, null, "the request could not be audited, so it was not served");
        }

        Observability.ServerMeters.AccessDecisions.Add(1, new KeyValuePair<string, object?>("decision", DecisionTag(decision)));
        return (decision, caller, message);
    }

    // The metric's tag: the decision's name in lower case, without building it per request.
    private static string DecisionTag(AccessDecision decision) => decision switch
    {
        AccessDecision.Allowed => "allowed",
        AccessDecision.Unauthenticated => "unauthenticated",
        AccessDecision.Forbidden => "forbidden",
        AccessDecision.AuditFailed => "auditfailed",
        AccessDecision.NotCaughtUp => "notcaughtup",
        _ => decision.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// Authenticates against everything committed when the request arrived, not only what this
    /// node has applied: a token made (or a login answered) through another node a moment ago is
    /// committed but may not be applied here yet. A token this node does not know is looked up
    /// again after a read barrier (the linearizable read's), so any token the cluster has
    /// acknowledged works on every node that can reach the leader, as a value written does. A
    /// token that is still unknown then is refused as before; when no leader confirms the node is
    /// current, the first answer stands.
    /// </summary>
    private async ValueTask<(CallerIdentity? Caller, AuthenticationFailure Failure)> AuthenticateCurrentAsync(string? bearer, System.Net.IPAddress? source, CancellationToken token)
    {
        var first = authenticator.Authenticate(bearer, source);
        // A node that holds no token at all is far behind (a wiped node rejoining): it answers
        // "not caught up" (503) at once, so the client tries another node instead of waiting here.
        if (first.Failure is not AuthenticationFailure.Unknown)
            return first;
        if (await barrier.WaitAsync(Application.ReadConsistency.Linearizable, token) is not null)
            return first;
        return authenticator.Authenticate(bearer, source);
    }

    /// <summary>
    /// How much of the cluster status a caller sees: <see cref="StatusDetail.Basic"/> (node, role,
    /// leader, term) without a working token; <see cref="StatusDetail.Full"/> (indexes, members) with
    /// any working token or a peer's signed request; <see cref="StatusDetail.Digest"/> only with
    /// <c>admin</c>. A digest request without it is refused (and audited) rather than downgraded.
    /// </summary>
    public async ValueTask<(StatusDetail? Detail, AccessDecision Decision, string Message)> StatusAccessAsync(string? bearer, System.Net.IPAddress? source, bool digest, bool peerSigned, CancellationToken token)
    {
        if (digest)
        {
            var (decision, _, message) = await CheckAsync(bearer, source, DigestRequest, token);
            return (decision == AccessDecision.Allowed ? StatusDetail.Digest : null, decision, message);
        }

        var full = peerSigned || (bearer is not null && authenticator.Authenticate(bearer, source).Caller is not null);
        return (full ? StatusDetail.Full : StatusDetail.Basic, AccessDecision.Allowed, "");
    }

    /// <summary>Per-item check for filtered results (lists, watches); not audited separately.</summary>
    public bool Allows(CallerIdentity caller, Capability capability, string ns, string env, string key)
        => policies.IsAllowed(caller, capability, ns, env, key);

    /// <summary>Whether a bearer token still works (watch streams re-check it; where they come from was checked when they were admitted).</summary>
    public bool StillValid(string? bearer) => authenticator.AuthenticateAdmitted(bearer).Caller is not null;

    private static partial class Log
    {
        [LoggerMessage(EventId = 6000, Level = LogLevel.Error, Message = "Writing the audit record failed ({Reason}); the request is refused")]
        public static partial void AuditFailed(ILogger logger, string reason);

        [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "A request's token is not known here (this node holds {Tokens} tokens at applied index {AppliedIndex})")]
        public static partial void UnknownToken(ILogger logger, long tokens, long appliedIndex);
    }
}
