using System.Security.Cryptography;
using System.Text;
using ConfigCluster.Client.Configuration;

namespace ConfigCluster.DemoService;

/// <summary>The body of <c>GET /settings</c>: what the service runs with, the secret as a fingerprint only.</summary>
/// <param name="Greeting">The current greeting.</param>
/// <param name="MaxItems">The current limit.</param>
/// <param name="ApiKeySha256">First 16 hex digits of the SHA-256 of the secret, or null when it is not loaded.</param>
/// <param name="Source"><c>cluster</c>, or <c>cache</c> while running on the last-known-good file.</param>
/// <param name="Revision">The cluster revision the configuration reflects at least.</param>
/// <param name="Reloads">How many reloads IOptionsMonitor reported since start (a rejected change reports the kept value again).</param>
public sealed record SettingsReport(string Greeting, int MaxItems, string? ApiKeySha256, string Source, long Revision, long Reloads)
{
    public static SettingsReport From(DemoSettings settings, ConfigClusterConfigurationProvider? provider, long reloads) => new(
        settings.Greeting,
        settings.MaxItems,
        settings.ApiKey is { Length: > 0 } key ? Fingerprint(key) : null,
        provider is null || provider.LoadedFromCache ? "cache" : "cluster",
        provider?.Revision ?? 0,
        reloads);

    private static string Fingerprint(string secret)
        => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)))[..16];
}
