using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace ConfigCluster.Server.Faces.Transit;

/// <summary>Vault's ciphertext and HMAC text: <c>vault:v&lt;N&gt;:&lt;base64&gt;</c>.</summary>
internal static class TransitCiphertext
{
    private const string Prefix = "vault:v";

    public static string Format(long version, ReadOnlySpan<byte> data)
        => $"{Prefix}{version.ToString(CultureInfo.InvariantCulture)}:{Convert.ToBase64String(data)}";

    /// <summary>Parses the text; false with Vault's message when it is malformed.</summary>
    public static bool TryParse(string? text, out long version, [NotNullWhen(true)] out byte[]? data, [NotNullWhen(false)] out string? error)
    {
        version = 0;
        data = null;
        if (string.IsNullOrEmpty(text) || !text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            error = "invalid ciphertext: no prefix";
            return false;
        }

        var colon = text.IndexOf(':', Prefix.Length);
        if (colon < 0 || !long.TryParse(text.AsSpan(Prefix.Length, colon - Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out version) || version < 1)
        {
            error = "invalid ciphertext: could not parse version";
            return false;
        }

        try
        {
            data = Convert.FromBase64String(text[(colon + 1)..]);
            error = null;
            return true;
        }
        catch (FormatException)
        {
            error = "invalid ciphertext: could not decode base64";
            return false;
        }
    }
}
