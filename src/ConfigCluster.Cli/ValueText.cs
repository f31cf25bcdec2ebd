using System.Text.Json;

namespace ConfigCluster.Cli;

/// <summary>Turns command-line text into a JSON value: valid JSON stays as it is, anything else becomes a string.</summary>
internal static class ValueText
{
    public static string ToJson(string text)
    {
        try
        {
            using var _ = JsonDocument.Parse(text);
            return text;
        }
        catch (JsonException)
        {
            return JsonSerializer.Serialize(text);
        }
    }
}
