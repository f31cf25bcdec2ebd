using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace ConfigCluster.Server.Faces.Transit;

/// <summary>Reads the fields of a transit request body (a JSON object; an empty body is an empty object).</summary>
internal sealed class TransitRequest
{
    /// <summary>Largest request body accepted.</summary>
    public const int MaxBodyBytes = 32 << 20;

    private readonly JsonElement root;

    private TransitRequest(JsonElement root) => this.root = root;

    /// <summary>The items of <c>batch_input</c>, or the body itself as the one item.</summary>
    public IReadOnlyList<JsonElement> Items
        => root.TryGetProperty("batch_input", out var batch) && batch.ValueKind == JsonValueKind.Array ? [.. batch.EnumerateArray()] : [root];

    /// <summary>Whether the request is a batch.</summary>
    public bool IsBatch => root.TryGetProperty("batch_input", out var batch) && batch.ValueKind == JsonValueKind.Array;

    public JsonElement Root => root;

    public static async Task<(TransitRequest? Request, string? Error)> ReadAsync(HttpRequest request, CancellationToken token)
    {
        if (request.ContentLength is > MaxBodyBytes)
            return (null, "request body is too large");
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, token);
        if (buffer.Length == 0)
            return (new TransitRequest(JsonDocument.Parse("{}").RootElement), null);
        try
        {
            using var document = JsonDocument.Parse(buffer.ToArray());
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                return (null, "failed to parse JSON input: expected an object");
            return (new TransitRequest(document.RootElement.Clone()), null);
        }
        catch (JsonException)
        {
            return (null, "failed to parse JSON input");
        }
    }

    /// <summary>A string field, or null when absent.</summary>
    public static string? String(JsonElement item, string name)
        => item.ValueKind == JsonValueKind.Object && item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>A base64 field decoded; empty when absent; false with Vault's message when it is not base64.</summary>
    public static bool TryBase64(JsonElement item, string name, out byte[] bytes, [NotNullWhen(false)] out string? error)
    {
        bytes = [];
        error = null;
        if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            return true;
        if (value.ValueKind == JsonValueKind.String && value.TryGetBytesFromBase64(out var decoded))
        {
            bytes = decoded;
            return true;
        }

        error = $"failed to base64-decode {name}";
        return false;
    }

    /// <summary>A whole-number field (JSON number or numeric string); <paramref name="fallback"/> when absent.</summary>
    public static bool TryLong(JsonElement item, string name, long fallback, out long value)
    {
        value = fallback;
        if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
            return true;
        return element.ValueKind switch
        {
            JsonValueKind.Number => element.TryGetInt64(out value),
            JsonValueKind.String => long.TryParse(element.GetString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out value),
            _ => false,
        };
    }

    /// <summary>A boolean field (JSON boolean or "true"/"false"); null when absent; false when malformed.</summary>
    public static bool TryBool(JsonElement item, string name, out bool? value)
    {
        value = null;
        if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
            return true;
        if (element.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            value = element.GetBoolean();
            return true;
        }

        if (element.ValueKind == JsonValueKind.String && bool.TryParse(element.GetString(), out var parsed))
        {
            value = parsed;
            return true;
        }

        return false;
    }
}
