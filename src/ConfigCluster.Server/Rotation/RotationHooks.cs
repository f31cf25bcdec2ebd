using System.Net.Http.Json;
using System.Text.Json.Serialization;
using ConfigCluster.Core.Keys;

namespace ConfigCluster.Server.Rotation;

/// <summary>The notice a rotation hook receives: which key got which version. Never the value.</summary>
internal sealed record RotationNotice(
    [property: JsonPropertyName("policy")] string Policy,
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("environment")] string Environment,
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("version")] long Version);

/// <summary>Calls rotation webhooks: an HTTP POST of a <see cref="RotationNotice"/> as JSON; a 2xx answer is a delivery.</summary>
internal sealed class RotationHooks : IDisposable
{
    /// <summary>How long one hook call may take.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly HttpClient http = new() { Timeout = Timeout };

    /// <summary>Null when the hook took the notice, else why not (an HTTP status or a transport error).</summary>
    public async Task<string?> NotifyAsync(string url, string policy, KeyPath path, long version, CancellationToken token)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(new RotationNotice(policy, path.Namespace, path.Environment, path.Key, version)) };
            request.Headers.Add("X-ConfigCluster-Event", "rotation");
            using var response = await http.SendAsync(request, token);
            return response.IsSuccessStatusCode ? null : $"hook answered HTTP {(int)response.StatusCode}";
        }
        catch (HttpRequestException e)
        {
            return $"hook call failed: {e.HttpRequestError}";
        }
        catch (TaskCanceledException) when (!token.IsCancellationRequested)
        {
            return $"hook did not answer within {Timeout.TotalSeconds:0}s";
        }
    }

    public void Dispose() => http.Dispose();
}
