using System.Security.Cryptography;

namespace ConfigCluster.Core.Crypto;

/// <summary>
/// Shamir's secret sharing of a master key over GF(2^8): <c>n</c> shares, any <c>threshold</c> of
/// which give the key back and fewer of which tell nothing about it. A share is
/// <c>version(1)=1 | threshold(1) | count(1) | x(1) | y(32)</c>, written as base64.
/// </summary>
public static class KeyShares
{
    private const byte Version = 1;
    private const int HeaderSize = 4;

    /// <summary>Splits <paramref name="secret"/> into <paramref name="count"/> shares with <paramref name="threshold"/>.</summary>
    public static IReadOnlyList<string> Split(ReadOnlySpan<byte> secret, int count, int threshold)
    {
        if (threshold is < 2 or > 255 || count < threshold || count > 255)
            throw new ArgumentException("shares need 2 <= threshold <= count <= 255");
        var shares = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            shares[i] = new byte[HeaderSize + secret.Length];
            shares[i][0] = Version;
            shares[i][1] = (byte)threshold;
            shares[i][2] = (byte)count;
            shares[i][3] = (byte)(i + 1);
        }

        // One random polynomial per byte of the secret, its constant term that byte.
        var coefficients = new byte[threshold];
        for (var b = 0; b < secret.Length; b++)
        {
            RandomNumberGenerator.Fill(coefficients);
            coefficients[0] = secret[b];
            for (var i = 0; i < count; i++)
                shares[i][HeaderSize + b] = Evaluate(coefficients, (byte)(i + 1));
        }

        CryptographicOperations.ZeroMemory(coefficients);
        return [.. shares.Select(static s => Convert.ToBase64String(s))];
    }

    /// <summary>Reads a share's threshold and count without combining.</summary>
    /// <exception cref="FormatException">Not a share.</exception>
    public static (int Threshold, int Count, int X) Describe(string share)
    {
        var bytes = Parse(share);
        return (bytes[1], bytes[2], bytes[3]);
    }

    /// <summary>Combines shares (at least their threshold, all from one split) into the secret.</summary>
    /// <exception cref="FormatException">A share is malformed, the shares come from different splits, or too few.</exception>
    public static byte[] Combine(IReadOnlyCollection<string> shares)
    {
        var parsed = shares.Select(Parse).ToList();
        if (parsed.Count == 0)
            throw new FormatException("no shares");
        var (threshold, count, length) = (parsed[0][1], parsed[0][2], parsed[0].Length);
        if (parsed.Any(p => p[1] != threshold || p[2] != count || p.Length != length))
            throw new FormatException("the shares come from different splits");
        if (parsed.Select(static p => p[3]).Distinct().Count() != parsed.Count)
            throw new FormatException("a share was given twice");
        if (parsed.Count < threshold)
            throw new FormatException($"{threshold} shares are needed, {parsed.Count} given");
        var used = parsed.Take(threshold).ToList();
        var secret = new byte[length - HeaderSize];
        for (var b = 0; b < secret.Length; b++)
        {
            // Lagrange interpolation at x = 0.
            byte value = 0;
            for (var i = 0; i < used.Count; i++)
            {
                byte numerator = 1, denominator = 1;
                for (var j = 0; j < used.Count; j++)
                {
                    if (i == j)
                        continue;
                    numerator = Multiply(numerator, used[j][3]);
                    denominator = Multiply(denominator, (byte)(used[i][3] ^ used[j][3]));
                }

                value ^= Multiply(used[i][HeaderSize + b], Multiply(numerator, Inverse(denominator)));
            }

            secret[b] = value;
        }

        return secret;
    }

    private static byte[] Parse(string share)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(share.Trim());
        }
        catch (FormatException)
        {
            throw new FormatException("a share is not base64");
        }

        if (bytes.Length <= HeaderSize || bytes[0] != Version || bytes[1] < 2 || bytes[2] < bytes[1] || bytes[3] == 0 || bytes[3] > bytes[2])
            throw new FormatException("not a key share");
        return bytes;
    }

    private static byte Evaluate(byte[] coefficients, byte x)
    {
        byte result = 0;
        for (var i = coefficients.Length - 1; i >= 0; i--)
            result = (byte)(Multiply(result, x) ^ coefficients[i]);
        return result;
    }

    // GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1, without data-dependent branches.
    private static byte Multiply(byte a, byte b)
    {
        var product = 0;
        int x = a, y = b;
        for (var i = 0; i < 8; i++)
        {
            product ^= -(y & 1) & x;
            var carry = -((x >> 7) & 1) & 0x1B;
            x = ((x << 1) ^ carry) & 0xFF;
            y >>= 1;
        }

        return (byte)product;
    }

    // a^254 = a^-1 in GF(2^8).
    private static byte Inverse(byte a)
    {
        byte result = 1, power = a;
        for (var e = 254; e > 0; e >>= 1)
        {
            if ((e & 1) != 0)
                result = Multiply(result, power);
            power = Multiply(power, power);
        }

        return result;
    }
}
