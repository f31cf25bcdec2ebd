using System.Diagnostics.CodeAnalysis;
using ConfigCluster.Core.Commands;

namespace ConfigCluster.Server.Rotation;

/// <summary>
/// A generator as the edges spell it (type, length, classes, bytes, static role; HTTP JSON and gRPC alike)
/// turned into the replicated <see cref="RotationGenerator"/>, with the defaults in one place.
/// Bounds are checked afterwards by <see cref="Core.Rotation.RotationRules"/>.
/// </summary>
public static class RotationGeneratorSpec
{
    /// <summary>Default password length and random byte count.</summary>
    public const int DefaultLength = 32, DefaultBytes = 32;

    /// <summary>The character class names.</summary>
    public static readonly IReadOnlyList<string> ClassNames = ["lower", "upper", "digits", "symbols"];

    public static bool TryCreate(string? type, int? length, IReadOnlyCollection<string>? classes, int? bytes, string? staticRole, [NotNullWhen(true)] out RotationGenerator? generator, [NotNullWhen(false)] out string? error)
    {
        generator = null;
        error = null;
        switch (type)
        {
            case "password":
                var password = new PasswordGenerator { Length = length ?? DefaultLength };
                if (classes is null || classes.Count == 0)
                    password.Lower = password.Upper = password.Digits = password.Symbols = true;
                foreach (var name in classes ?? [])
                {
                    switch (name)
                    {
                        case "lower": password.Lower = true; break;
                        case "upper": password.Upper = true; break;
                        case "digits": password.Digits = true; break;
                        case "symbols": password.Symbols = true; break;
                        default:
                            error = $"unknown character class '{name}': use {string.Join(", ", ClassNames)}";
                            return false;
                    }
                }

                generator = new RotationGenerator { Password = password };
                return true;
            case "random-bytes":
                generator = new RotationGenerator { RandomBytes = new RandomBytesGenerator { Bytes = bytes ?? DefaultBytes } };
                return true;
            case "database":
                if (string.IsNullOrEmpty(staticRole))
                {
                    error = "a database generator names its static role (staticRole)";
                    return false;
                }

                generator = new RotationGenerator { Database = new DatabasePasswordGenerator { StaticRole = staticRole } };
                return true;
            case null or "":
                error = $"a generator needs a type: {string.Join(" or ", RotationGenerators.Names)}";
                return false;
            default:
                error = $"unknown generator '{type}': use {string.Join(" or ", RotationGenerators.Names)}";
                return false;
        }
    }

    /// <summary>The class names a password generator uses.</summary>
    public static IEnumerable<string> Classes(PasswordGenerator password)
    {
        ArgumentNullException.ThrowIfNull(password);
        if (password.Lower)
            yield return "lower";
        if (password.Upper)
            yield return "upper";
        if (password.Digits)
            yield return "digits";
        if (password.Symbols)
            yield return "symbols";
    }
}
