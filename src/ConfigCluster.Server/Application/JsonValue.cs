using System.Text.Json;

namespace ConfigCluster.Server.Application;

/// <summary>Checks that a stored value is exactly one JSON value (trailing white space allowed).</summary>
internal static class JsonValue
{
    public static bool IsValid(byte[] bytes)
    {
        try
        {
            var reader = new Utf8JsonReader(bytes);
            if (!JsonDocument.TryParseValue(ref reader, out var document))
                return false;
            using (document)
                return reader.BytesConsumed == bytes.Length || IsTrailingWhitespace(bytes.AsSpan((int)reader.BytesConsumed));
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool IsTrailingWhitespace(ReadOnlySpan<byte> rest)
    {
        foreach (var b in rest)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
                return false;
        }

        return true;
    }
}
