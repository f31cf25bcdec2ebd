using System.Text.Json;

namespace ConfigCluster.Server.Faces.Vault;

/// <summary>Reads a Vault request body: a JSON object, or nothing; anything else is Vault's 400.</summary>
internal static class VaultBody
{
    /// <summary>Largest body read (a KV v2 value is limited further by the store).</summary>
    public const int MaxBytes = 4 << 20;

    /// <summary>The body as a JSON object (an empty body reads as <c>{}</c>), or the 400 to answer.</summary>
    public static async Task<(JsonDocument? Document, IResult? Problem)> ReadAsync(HttpRequest request, CancellationToken token)
    {
        if (request.ContentLength > MaxBytes)
            return (null, VaultErrors.Result(StatusCodes.Status413PayloadTooLarge, $"request body is larger than {MaxBytes} bytes"));
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, token);
        if (buffer.Length > MaxBytes)
            return (null, VaultErrors.Result(StatusCodes.Status413PayloadTooLarge, $"request body is larger than {MaxBytes} bytes"));
        if (buffer.Length == 0 || buffer.ToArray().All(static b => b is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t'))
            return (JsonDocument.Parse("{}"), null);
        try
        {
            var document = JsonDocument.Parse(buffer.ToArray());
            if (document.RootElement.ValueKind == JsonValueKind.Object)
                return (document, null);
            document.Dispose();
            return (null, VaultErrors.BadRequest("failed to parse JSON input: the body must be a JSON object"));
        }
        catch (JsonException)
        {
            // The parser's message may quote the input (a secret): say only where it failed.
            return (null, VaultErrors.BadRequest("failed to parse JSON input: invalid JSON"));
        }
    }

    /// <summary>Reads an optional whole number, also given as a string ("3"), as Vault's clients send both.</summary>
    public static bool TryLong(JsonElement root, string name, out long? value)
    {
        value = null;
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
            return true;
        if (element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out var number))
            value = number;
        else if (element.ValueKind == JsonValueKind.String && long.TryParse(element.GetString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out number))
            value = number;
        else
            return false;
        return true;
    }

    /// <summary>Reads an optional boolean, also given as a string ("true"), as Vault accepts both.</summary>
    public static bool TryBool(JsonElement root, string name, out bool? value)
    {
        value = null;
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
            return true;
        if (element.ValueKind is JsonValueKind.True or JsonValueKind.False)
            value = element.GetBoolean();
        else if (element.ValueKind == JsonValueKind.String && bool.TryParse(element.GetString(), out var parsed))
            value = parsed;
        else
            return false;
        return true;
    }

    /// <summary>Reads a Vault duration: seconds as a number, or text like <c>30m</c>, <c>1h</c>, <c>3600</c>.</summary>
    public static bool TryDuration(JsonElement root, string name, out TimeSpan? value)
    {
        value = null;
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
            return true;
        if (element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out var seconds) && seconds >= 0)
            value = TimeSpan.FromSeconds(seconds);
        else if (element.ValueKind == JsonValueKind.String && long.TryParse(element.GetString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out seconds))
            value = TimeSpan.FromSeconds(seconds);
        else if (element.ValueKind == JsonValueKind.String && Hosting.DurationParser.TryParse(element.GetString(), out var parsed) && parsed >= TimeSpan.Zero)
            value = parsed;
        else
            return false;
        return true;
    }
}
