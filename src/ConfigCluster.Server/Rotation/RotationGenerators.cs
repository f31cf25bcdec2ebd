using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ConfigCluster.Core.Commands;

namespace ConfigCluster.Server.Rotation;

/// <summary>
/// Draws a rotated secret's new value (the UTF-8 JSON bytes stored as its next version). Called
/// only on the leader at proposal time, never in apply. The generator kinds are one union
/// (<see cref="RotationGenerator"/> in commands.proto) and one switch here. A database static role's
/// password is not drawn here: the role's password is changed in its database first, and
/// <see cref="RotationValuePreparer"/> stores the role's current one (through <see cref="JsonString(ReadOnlySpan{byte})"/>).
/// </summary>
public static class RotationGenerators
{
    private const string Lower = "abcdefghijklmnopqrstuvwxyz";
    private const string Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private const string Digits = "0123456789";
    private const string Symbols = "!#$%&()*+,-./:;<=>?@[]^_{|}~";

    /// <summary>The generator names the HTTP API and the CLI accept.</summary>
    public static readonly IReadOnlyList<string> Names = ["password", "random-bytes", "database"];

    /// <summary>The new value as JSON bytes (a JSON string); the caller zeroes it after sealing.</summary>
    /// <exception cref="ArgumentException">The generator is of no known kind (validated before it reaches the log).</exception>
    public static byte[] Generate(RotationGenerator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        return generator.KindCase switch
        {
            RotationGenerator.KindOneofCase.Password => JsonString(Password(generator.Password)),
            RotationGenerator.KindOneofCase.RandomBytes => JsonString(RandomBase64(generator.RandomBytes.Bytes)),
            RotationGenerator.KindOneofCase.Database => throw new ArgumentException("a database generator's value is the static role's password, not drawn", nameof(generator)),
            _ => throw new ArgumentException("unknown generator kind", nameof(generator)),
        };
    }

    /// <summary>The generator's name as the API shows it.</summary>
    public static string Name(RotationGenerator? generator) => generator?.KindCase switch
    {
        RotationGenerator.KindOneofCase.Password => "password",
        RotationGenerator.KindOneofCase.RandomBytes => "random-bytes",
        RotationGenerator.KindOneofCase.Database => "database",
        _ => "",
    };

    // At least one character of each chosen class, the rest from their union, shuffled.
    private static char[] Password(PasswordGenerator spec)
    {
        var classes = new List<string>(4);
        if (spec.Lower)
            classes.Add(Lower);
        if (spec.Upper)
            classes.Add(Upper);
        if (spec.Digits)
            classes.Add(Digits);
        if (spec.Symbols)
            classes.Add(Symbols);
        var all = string.Concat(classes);
        var password = new char[spec.Length];
        for (var i = 0; i < password.Length; i++)
            password[i] = i < classes.Count ? classes[i][RandomNumberGenerator.GetInt32(classes[i].Length)] : all[RandomNumberGenerator.GetInt32(all.Length)];
        RandomNumberGenerator.Shuffle(password.AsSpan());
        return password;
    }

    private static char[] RandomBase64(int count)
    {
        var bytes = RandomNumberGenerator.GetBytes(count);
        var text = new char[((count + 2) / 3) * 4];
        Convert.TryToBase64Chars(bytes, text, out _);
        CryptographicOperations.ZeroMemory(bytes);
        return text;
    }

    /// <summary>UTF-8 text as the JSON string bytes a secret version holds.</summary>
    public static byte[] JsonString(ReadOnlySpan<byte> utf8)
    {
        using var buffer = new MemoryStream(utf8.Length + 2);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            writer.WriteStringValue(utf8);
        return buffer.ToArray();
    }

    private static byte[] JsonString(char[] text)
    {
        using var buffer = new MemoryStream(text.Length + 2);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            writer.WriteStringValue(text);
        Array.Clear(text);
        return buffer.ToArray();
    }
}
