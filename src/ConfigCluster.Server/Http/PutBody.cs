using System.Text.Json;
using ConfigCluster.Server.Application;

namespace ConfigCluster.Server.Http;

/// <summary>The body of <c>PUT /config/{key}</c>: <c>{"value": any, "secret": bool?, "expectedVersion": N?}</c>.</summary>
internal sealed record PutBody(string ValueJson, bool Secret, long? ExpectedVersion)
{
    // Room for the envelope around a value of the largest allowed size.
    private const int EnvelopeAllowance = 64 * 1024;

    public static async Task<Outcome<PutBody>> ReadAsync(HttpRequest request, int maxValueBytes, CancellationToken token)
    {
        var limit = (long)maxValueBytes + EnvelopeAllowance;
        if (request.ContentLength > limit)
            return new ConfigError(ConfigErrorCode.TooLarge, $"body is {request.ContentLength} bytes; values are limited to {maxValueBytes}");

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, token)) > 0)
        {
            if (buffer.Length + read > limit)
                return new ConfigError(ConfigErrorCode.TooLarge, $"body exceeds {limit} bytes; values are limited to {maxValueBytes}");
            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
            return new ConfigError(ConfigErrorCode.InvalidArgument, "body is empty; send {\"value\": ...}");
        try
        {
            using var document = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return new ConfigError(ConfigErrorCode.InvalidArgument, "body must be a JSON object like {\"value\": ...}");
            if (!root.TryGetProperty("value", out var value))
                return new ConfigError(ConfigErrorCode.InvalidArgument, "body has no \"value\"");

            var secret = false;
            if (root.TryGetProperty("secret", out var secretElement))
            {
                if (secretElement.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    return new ConfigError(ConfigErrorCode.InvalidArgument, "\"secret\" must be true or false");
                secret = secretElement.GetBoolean();
            }

            long? expected = null;
            if (root.TryGetProperty("expectedVersion", out var expectedElement) && expectedElement.ValueKind != JsonValueKind.Null)
            {
                if (expectedElement.ValueKind != JsonValueKind.Number || !expectedElement.TryGetInt64(out var e) || e < 0)
                    return new ConfigError(ConfigErrorCode.InvalidArgument, "\"expectedVersion\" must be a whole number of at least 0");
                expected = e;
            }

            return new PutBody(value.GetRawText(), secret, expected);
        }
        catch (JsonException)
        {
            return new ConfigError(ConfigErrorCode.InvalidArgument, "body is not valid JSON");
        }
    }
}
