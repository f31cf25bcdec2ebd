using System.Text;
using System.Text.Json;

namespace ConfigCluster.Storage;

/// <summary>
/// How a raw byte value (stored by the Consul face) is shown where ConfigCluster answers in JSON:
/// valid UTF-8 as a JSON string, anything else as <c>{"base64": "..."}</c>.
/// </summary>
public static class ValueText
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The JSON text of a raw byte value.</summary>
    public static byte[] BytesAsJson(ReadOnlySpan<byte> bytes)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            if (TryUtf8(bytes, out var text))
                writer.WriteStringValue(text);
            else
            {
                writer.WriteStartObject();
                writer.WriteBase64String("base64", bytes);
                writer.WriteEndObject();
            }
        }

        return buffer.ToArray();
    }

    private static bool TryUtf8(ReadOnlySpan<byte> bytes, out string text)
    {
        try
        {
            text = StrictUtf8.GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = "";
            return false;
        }
    }
}
