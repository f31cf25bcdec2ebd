using System.Security.Cryptography;
using System.Text;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Acl;

/// <summary>Why a token was not accepted (always answered 401 / Unauthenticated).</summary>
public enum AuthenticationFailure
{
    None,
    Missing,
    Unknown,

    /// <summary>The token is not known, and this node holds no token at all yet: it has not caught up with the log (a wiped node rejoining, or one not yet bootstrapped).</summary>
    NotCaughtUp,
    Revoked,
    Expired,

    /// <summary>The token is bound to networks (<c>token_bound_cidrs</c>) the request did not come from; 403 / PermissionDenied, as Vault answers.</summary>
    OutsideBoundNetworks,
}

/// <summary>
/// Turns a bearer token into a <see cref="CallerIdentity"/>: looks the token up by its SHA-256
/// in the replicated state (the hash comparison is constant-time), and refuses revoked and
/// expired ones. Revocation is replicated, so it takes effect on every node as it is applied;
/// expiry is judged by the log clock (<see cref="Auth.LogClock"/>), so every node refuses an
/// expired token at the same moment whatever its own clock says.
/// </summary>
public sealed class TokenAuthenticator(IVersionedStore store, TimeProvider clock)
{
    private readonly Auth.LogClock logClock = new(store, clock);

    /// <summary>How many tokens this node holds and its applied index (for diagnosing refusals).</summary>
    public (long Tokens, long AppliedIndex) StoreState => (store.TokenCount, store.AppliedIndex);

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>
    /// Authenticates <paramref name="bearer"/> used from <paramref name="source"/> (the client's
    /// address; a token bound to networks is refused from anywhere else, and from an unknown source).
    /// </summary>
    public (CallerIdentity? Caller, AuthenticationFailure Failure) Authenticate(string? bearer, System.Net.IPAddress? source)
    {
        var (caller, failure, token) = Find(bearer);
        if (token is { BoundCidrs.Count: > 0 } && !ConfigCluster.Core.Tokens.BoundCidrs.Contains(token.BoundCidrs, source))
            return (null, AuthenticationFailure.OutsideBoundNetworks);
        return (caller, failure);
    }

    /// <summary>
    /// Authenticates <paramref name="bearer"/> without looking at where it is used from: only for
    /// re-checks of a call whose source was checked when it was admitted (a running watch), and
    /// for reading its accessor (rate limiting).
    /// </summary>
    public (CallerIdentity? Caller, AuthenticationFailure Failure) AuthenticateAdmitted(string? bearer)
    {
        var (caller, failure, _) = Find(bearer);
        return (caller, failure);
    }

    private (CallerIdentity? Caller, AuthenticationFailure Failure, StoredToken? Token) Find(string? bearer)
    {
        if (string.IsNullOrWhiteSpace(bearer))
            return (null, AuthenticationFailure.Missing, null);
        var token = store.FindToken(Hash(bearer.Trim()));
        if (token is null)
            return (null, store.TokenCount == 0 ? AuthenticationFailure.NotCaughtUp : AuthenticationFailure.Unknown, null);
        if (token.Revoked)
            return (null, AuthenticationFailure.Revoked, null);
        if (logClock.HasExpired(token.ExpiresAt))
            return (null, AuthenticationFailure.Expired, null);
        return (new CallerIdentity(token.Name, token.Accessor, token.Policies), AuthenticationFailure.None, token);
    }

    /// <summary>
    /// Reads a request's token: <c>Authorization: Bearer ...</c>, else <c>X-Vault-Token</c> or
    /// <c>X-Consul-Token</c> (the headers the Vault and Consul clients send), on every route alike;
    /// else, on a WebSocket upgrade, a <c>Sec-WebSocket-Protocol</c> entry
    /// <c>configcluster.bearer.BASE64URL(token)</c> (a browser cannot set headers on a WebSocket; this
    /// is how Kubernetes' API server takes tokens from browsers too, and unlike a query parameter it
    /// stays out of URLs and access logs).
    /// </summary>
    public static string? FromRequest(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (FromAuthorizationHeader(request.Headers.Authorization) is { } bearer)
            return bearer;
        foreach (var header in FaceTokenHeaders)
        {
            if (request.Headers[header] is [{ Length: > 0 } token])
                return token.Trim();
        }

        return FromWebSocketProtocols(request.Headers.SecWebSocketProtocol);
    }

    /// <summary>The sub-protocol prefix that carries a token on a WebSocket upgrade (base64url of its UTF-8 bytes follows).</summary>
    public const string WebSocketTokenProtocolPrefix = "configcluster.bearer.";

    private static string? FromWebSocketProtocols(Microsoft.Extensions.Primitives.StringValues headers)
    {
        foreach (var header in headers)
        {
            foreach (var entry in (header ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!entry.StartsWith(WebSocketTokenProtocolPrefix, StringComparison.Ordinal))
                    continue;
                try
                {
                    return System.Text.Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(entry.AsSpan(WebSocketTokenProtocolPrefix.Length)));
                }
                catch (FormatException)
                {
                    return null; // not base64url: no token (401), never an error that echoes the text
                }
            }
        }

        return null;
    }

    private static readonly string[] FaceTokenHeaders = ["X-Vault-Token", "X-Consul-Token"];

    /// <summary>Reads the token from an <c>Authorization: Bearer ...</c> header value.</summary>
    public static string? FromAuthorizationHeader(string? header)
        => header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
}
