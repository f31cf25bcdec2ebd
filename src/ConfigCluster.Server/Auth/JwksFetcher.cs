using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace ConfigCluster.Server.Auth;

/// <summary>
/// Fetches the JWT config's <c>jwks_url</c> (HTTPS only), trusting the system's roots or, when the
/// config gives <c>jwks_ca_pem</c>, only that CA. A document is kept for <see cref="CacheFor"/>
/// per node, so logins do not each cost a fetch; a failed fetch is not cached.
/// </summary>
public sealed partial class JwksFetcher(TimeProvider clock, ILogger<JwksFetcher> logger) : IDisposable
{
    /// <summary>How long a fetched key set is used before it is fetched again.</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromMinutes(5);

    /// <summary>The largest key set accepted.</summary>
    public const int MaxBytes = 1024 * 1024;

    private static readonly TimeSpan FetchTimeout = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<(string Url, string Ca), (string Json, DateTimeOffset At)> cache = new();
    private readonly ConcurrentDictionary<string, HttpClient> clients = new(StringComparer.Ordinal);

    /// <summary>Whether <paramref name="url"/> may be a <c>jwks_url</c>: an absolute https URL of at most 2048 characters.</summary>
    public static bool IsValidUrl(string url)
        => url.Length <= 2048 && Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps && string.IsNullOrEmpty(uri.UserInfo);

    /// <summary>The key set at <paramref name="url"/> (cached), or why it could not be had.</summary>
    /// <param name="fresh">Fetch even when a cached copy is still current (checking a new config).</param>
    public async Task<(string? Json, string? Error)> GetAsync(string url, string caPem, bool fresh, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(caPem);
        if (!IsValidUrl(url))
            return (null, "jwks_url must be an https:// URL");
        var key = (url, caPem);
        if (!fresh && cache.TryGetValue(key, out var cached) && clock.GetUtcNow() - cached.At < CacheFor)
            return (cached.Json, null);
        if (Client(caPem) is not { } client)
            return (null, "jwks_ca_pem is not a PEM certificate");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(FetchTimeout);
        try
        {
            using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (!response.IsSuccessStatusCode)
                return Failed(url, $"HTTP {(int)response.StatusCode}");
            if (response.Content.Headers.ContentLength > MaxBytes)
                return Failed(url, "the key set is larger than 1 MiB");
            var json = await ReadLimitedAsync(response.Content, timeout.Token);
            if (json is null)
                return Failed(url, "the key set is larger than 1 MiB");
            cache[key] = (json, clock.GetUtcNow());
            Log.Fetched(logger, url);
            return (json, null);
        }
        catch (HttpRequestException e)
        {
            return Failed(url, e.InnerException?.Message ?? e.Message);
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            return Failed(url, "timed out");
        }
    }

    private (string? Json, string? Error) Failed(string url, string why)
    {
        Log.FetchFailed(logger, url, why);
        return (null, $"could not fetch the key set from jwks_url: {why}");
    }

    private static async Task<string?> ReadLimitedAsync(HttpContent content, CancellationToken token)
    {
        await using var stream = await content.ReadAsStreamAsync(token);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, token)) > 0)
        {
            if (buffer.Length + read > MaxBytes)
                return null;
            buffer.Write(chunk, 0, read);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    // One client per trust (the system roots, or one CA); null when the CA is not a certificate.
    private HttpClient? Client(string caPem)
    {
        if (clients.TryGetValue(caPem, out var existing))
            return existing;
        X509Certificate2? ca = null;
        if (caPem.Length > 0)
        {
            try
            {
                ca = X509Certificate2.CreateFromPem(caPem);
            }
            catch (System.Security.Cryptography.CryptographicException)
            {
                return null;
            }
        }

        var handler = new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        if (ca is not null)
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) => ChainsTo(certificate, errors, ca);
        var client = new HttpClient(handler, disposeHandler: true);
        return clients.GetOrAdd(caPem, client) is var added && ReferenceEquals(added, client) ? client : Discard(client, added);
    }

    private static HttpClient Discard(HttpClient unused, HttpClient kept)
    {
        unused.Dispose();
        return kept;
    }

    // With a configured CA: the name must match, and the chain must end at that CA (and only it).
    private static bool ChainsTo(X509Certificate? presented, SslPolicyErrors errors, X509Certificate2 ca)
    {
        if (presented is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
            return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var certificate = new X509Certificate2(presented);
        return chain.Build(certificate);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var client in clients.Values)
            client.Dispose();
        clients.Clear();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 7320, Level = LogLevel.Information, Message = "Fetched the JWT key set from {Url}")]
        public static partial void Fetched(ILogger logger, string url);

        [LoggerMessage(EventId = 7321, Level = LogLevel.Warning, Message = "Could not fetch the JWT key set from {Url}: {Reason}")]
        public static partial void FetchFailed(ILogger logger, string url, string reason);
    }
}
