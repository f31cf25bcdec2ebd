using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace ConfigCluster.Server.Tests.Harness;

/// <summary>Small helpers for the HTTP/JSON API.</summary>
internal static class HttpExtensions
{
    public static async Task<(HttpStatusCode Status, JsonNode? Body)> PutJsonAsync(this HttpClient http, string path, string json)
    {
        using var response = await http.PutAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        return (response.StatusCode, await ReadAsync(response));
    }

    public static Task<(HttpStatusCode Status, JsonNode? Body)> PutValueAsync(this HttpClient http, string key, object? value, string query = "")
        => http.PutJsonAsync($"/config/{key}{query}", new JsonObject { ["value"] = JsonValue.Create(value) }.ToJsonString());

    public static async Task<(HttpStatusCode Status, JsonNode? Body)> GetJsonAsync(this HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        return (response.StatusCode, await ReadAsync(response));
    }

    public static async Task<(HttpStatusCode Status, JsonNode? Body)> SendAsync(this HttpClient http, HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await ReadAsync(response));
    }

    /// <summary>PUT that must succeed; returns the answer.</summary>
    public static async Task<JsonNode> MustPutAsync(this HttpClient http, string key, object? value, string query = "")
    {
        var (status, body) = await http.PutValueAsync(key, value, query);
        Assert.True(status == HttpStatusCode.OK, $"PUT {key} answered {(int)status}: {body?.ToJsonString()}");
        return body!;
    }

    private static async Task<JsonNode?> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }
}
