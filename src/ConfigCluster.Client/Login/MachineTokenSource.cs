using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace ConfigCluster.Client;

/// <summary>
/// Obtains and keeps a token by machine login (AppRole or JWT) over the nodes' HTTP API (the same
/// port as gRPC, HTTP/2): logs in at the first call, renews the token (<c>renew-self</c>) at two
/// thirds of its lease, and logs in again when a renewal is refused or the token's max TTL cuts the
/// lease short. A node that does not answer (or answers 5xx) is passed over for the next. The
/// token, secret id and JWT are never logged.
/// </summary>
internal sealed partial class MachineTokenSource : IDisposable
{
    private readonly ConfigClusterClientOptions options;
    private readonly ILogger logger;
    private readonly HttpClient http;
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly CancellationTokenSource stopping = new();
    private readonly TimeProvider time;
    private Lease? lease;
    private long logins;
    private long renewals;
    private int nextEndpoint;
    private Task? renewer;

    private sealed record Lease(string Token, TimeSpan Duration, long ObtainedAt, bool Renewable)
    {
        public bool Capped { get; init; }
    }

    public MachineTokenSource(ConfigClusterClientOptions options, ILogger logger)
    {
        this.options = options;
        this.logger = logger;
        time = options.TimeProvider;
        var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5), PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1) };
        CaTrust.Apply(handler, options.CaCertificateFile);
        options.ConfigureHttpHandler?.Invoke(handler);
        http = new HttpClient(handler)
        {
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = options.CallTimeout,
        };
    }

    public MachineLoginStatus Status
    {
        get
        {
            var current = Volatile.Read(ref lease);
            DateTimeOffset? expires = current is { Duration.Ticks: > 0 } ? time.GetUtcNow() + current.Duration - time.GetElapsedTime(current.ObtainedAt) : null;
            return new MachineLoginStatus(Interlocked.Read(ref logins), Interlocked.Read(ref renewals), expires);
        }
    }

    /// <summary>The current token, logging in first when there is none or it has run out.</summary>
    public async ValueTask<string> GetTokenAsync(CancellationToken token)
    {
        if (Volatile.Read(ref lease) is { } current && !Expired(current))
            return current.Token;
        await gate.WaitAsync(token).ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref lease) is { } again && !Expired(again))
                return again.Token;
            var fresh = await LoginWithRetriesAsync(token).ConfigureAwait(false);
            StartRenewer();
            return fresh.Token;
        }
        finally
        {
            gate.Release();
        }
    }

    // A lease that has run out (a second of margin) is no use: log in again.
    private bool Expired(Lease current)
        => current.Duration > TimeSpan.Zero && time.GetElapsedTime(current.ObtainedAt) >= current.Duration - TimeSpan.FromSeconds(1);

    // The renewer ends when the lease is dropped (Invalidate); the next login starts it again.
    private void StartRenewer()
    {
        if (renewer is null || renewer.IsCompleted)
            renewer = Task.Run(() => RenewLoopAsync(stopping.Token), CancellationToken.None);
    }

    /// <summary>Drops the current token (the cluster refused it): the next call logs in again.</summary>
    public void Invalidate() => Volatile.Write(ref lease, null);

    private async Task RenewLoopAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            var current = Volatile.Read(ref lease);
            if (current is null || current.Duration <= TimeSpan.Zero)
                return;
            var due = current.Duration * 2 / 3 - time.GetElapsedTime(current.ObtainedAt);
            try
            {
                if (due > TimeSpan.Zero)
                    await Task.Delay(due, time, token).ConfigureAwait(false);
                await gate.WaitAsync(token).ConfigureAwait(false);
                try
                {
                    if (!ReferenceEquals(Volatile.Read(ref lease), current))
                        continue;
                    // Renew while renewal still gives a full lease; once the max TTL cut it short, log in again.
                    if (!current.Renewable || current.Capped || !await TryRenewAsync(current, token).ConfigureAwait(false))
                        await LoginWithRetriesAsync(token).ConfigureAwait(false);
                }
                finally
                {
                    gate.Release();
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or MachineLoginException or IOException or JsonException or OperationCanceledException)
            {
                Log.RenewFailed(logger, e.GetType().Name);
                try
                {
                    await Task.Delay(options.MaxRetryBackoff, time, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task<Lease> LoginWithRetriesAsync(CancellationToken token)
    {
        var backoff = options.RetryBackoff;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var fresh = await LoginAsync(token).ConfigureAwait(false);
                Volatile.Write(ref lease, fresh);
                Interlocked.Increment(ref logins);
                Log.LoggedIn(logger, Method, (long)fresh.Duration.TotalSeconds);
                return fresh;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or TransientLoginException && !token.IsCancellationRequested)
            {
                Log.LoginRetrying(logger, Method, attempt, e.GetType().Name);
                await Task.Delay(backoff, time, token).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, options.MaxRetryBackoff.Ticks));
            }
        }
    }

    private string Method => options.AppRoleLogin is not null ? "approle" : "jwt";

    private async Task<Lease> LoginAsync(CancellationToken token)
    {
        string path;
        string body;
        if (options.AppRoleLogin is { } approle)
        {
            var roleId = string.IsNullOrEmpty(approle.RoleIdFile) ? approle.RoleId : (await File.ReadAllTextAsync(approle.RoleIdFile, token).ConfigureAwait(false)).Trim();
            var secretId = string.IsNullOrEmpty(approle.SecretIdFile) ? approle.SecretId : (await File.ReadAllTextAsync(approle.SecretIdFile, token).ConfigureAwait(false)).Trim();
            path = $"/v1/auth/{approle.MountPath.Trim('/')}/login";
            body = JsonSerializer.Serialize(new Dictionary<string, string?> { ["role_id"] = roleId, ["secret_id"] = secretId });
        }
        else
        {
            var jwt = options.JwtLogin!;
            var text = (await File.ReadAllTextAsync(jwt.TokenFile, token).ConfigureAwait(false)).Trim();
            path = $"/v1/auth/{jwt.MountPath.Trim('/')}/login";
            body = JsonSerializer.Serialize(new Dictionary<string, string?> { ["role"] = jwt.Role, ["jwt"] = text });
        }

        var started = time.GetTimestamp();
        using var auth = await PostAsync(path, body, vaultToken: null, token).ConfigureAwait(false);
        return ReadLease(auth.RootElement, requested: null, started);
    }

    // Renews the current token; false when the cluster refused (the token is gone or no longer renewable).
    private async Task<bool> TryRenewAsync(Lease current, CancellationToken token)
    {
        var started = time.GetTimestamp();
        try
        {
            var body = JsonSerializer.Serialize(new Dictionary<string, long> { ["increment"] = (long)current.Duration.TotalSeconds });
            using var auth = await PostAsync("/v1/auth/token/renew-self", body, current.Token, token).ConfigureAwait(false);
            var renewed = ReadLease(auth.RootElement, current.Duration, started) with { Token = current.Token };
            Volatile.Write(ref lease, renewed);
            Interlocked.Increment(ref renewals);
            return true;
        }
        catch (MachineLoginException)
        {
            return false;
        }
    }

    private static Lease ReadLease(JsonElement root, TimeSpan? requested, long obtainedAt)
    {
        if (!root.TryGetProperty("auth", out var auth) || auth.ValueKind != JsonValueKind.Object)
            throw new MachineLoginException("the login answer has no auth block");
        var token = auth.TryGetProperty("client_token", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
        var seconds = auth.TryGetProperty("lease_duration", out var d) && d.TryGetInt64(out var s) ? s : 0;
        var renewable = auth.TryGetProperty("renewable", out var r) && r.ValueKind == JsonValueKind.True;
        var duration = TimeSpan.FromSeconds(seconds);
        // A renewal that gave less than asked has hit the max TTL: the next step is a new login.
        return new Lease(token, duration, obtainedAt, renewable) { Capped = requested is { } asked && duration < asked - TimeSpan.FromSeconds(1) };
    }

    // POSTs to one node after another until one answers; 4xx is the cluster's refusal (no retry), 5xx and
    // connection failures move on to the next node and come back as transient once every node failed.
    private async Task<JsonDocument> PostAsync(string path, string body, string? vaultToken, CancellationToken token)
    {
        Exception? last = null;
        for (var tried = 0; tried < options.Endpoints.Count; tried++)
        {
            var endpoint = options.Endpoints[(int)((uint)Interlocked.Increment(ref nextEndpoint) % (uint)options.Endpoints.Count)];
            // HTTP/2 as on the gRPC port (h2c on http://); a request message does not take the client's default version.
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint, path))
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            if (vaultToken is not null)
                request.Headers.Add("X-Vault-Token", vaultToken);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            try
            {
                using var response = await http.SendAsync(request, token).ConfigureAwait(false);
                var status = (int)response.StatusCode;
                if (status is >= 400 and < 500 && status != 429)
                    throw new MachineLoginException($"{path} refused: HTTP {status} {await ErrorAsync(response, token).ConfigureAwait(false)}");
                if (!response.IsSuccessStatusCode)
                {
                    last = new TransientLoginException($"{path}: HTTP {status}");
                    continue;
                }

                return await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false), cancellationToken: token).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                last = e;
            }
            catch (TaskCanceledException e) when (!token.IsCancellationRequested)
            {
                last = e; // this node's attempt timed out
            }
        }

        throw new TransientLoginException($"no node answered {path}", last);
    }

    // Vault's error list (messages never hold a secret); otherwise the start of the body.
    private static async Task<string> ErrorAsync(HttpResponseMessage response, CancellationToken token)
    {
        var text = await response.Content.ReadAsStringAsync(token).ConfigureAwait(false);
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
                return string.Join("; ", errors.EnumerateArray().Select(static e => e.ToString()));
        }
        catch (JsonException)
        {
        }

        return text.Length > 200 ? text[..200] : text;
    }

    public void Dispose()
    {
        stopping.Cancel();
        http.Dispose();
        stopping.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(1020, LogLevel.Information, "Logged in with {Method}; lease {LeaseSeconds} s")]
        public static partial void LoggedIn(ILogger logger, string method, long leaseSeconds);

        [LoggerMessage(1021, LogLevel.Debug, "Login with {Method} attempt {Attempt} failed ({Reason}); retrying")]
        public static partial void LoginRetrying(ILogger logger, string method, int attempt, string reason);

        [LoggerMessage(1022, LogLevel.Warning, "Renewing the token or logging in again failed ({Reason}); retrying")]
        public static partial void RenewFailed(ILogger logger, string reason);
    }
}

/// <summary>The cluster refused a machine login or renewal (bad credentials, expired JWT, unknown role).</summary>
public sealed class MachineLoginException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MachineLoginException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public MachineLoginException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public MachineLoginException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>No node could answer a login just now (retried).</summary>
internal sealed class TransientLoginException(string message, Exception? inner = null) : Exception(message, inner);
