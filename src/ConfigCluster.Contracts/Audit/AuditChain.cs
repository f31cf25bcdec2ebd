using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ConfigCluster.Contracts.Audit;

/// <summary>
/// The audit file's tamper-evidence, shared by the node that writes it and the tools that check
/// it: every JSON line carries in <c>prev</c> the SHA-256 (hex) of the line before it.
/// </summary>
public static class AuditChain
{
    /// <summary>The hash a line's successor must carry.</summary>
    public static string HashOf(string line) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(line)));

    /// <summary>1-based number of the first line whose <c>prev</c> is not the hash of the line before; 0 when intact.</summary>
    public static int FirstBrokenLine(IEnumerable<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var previous = "";
        var number = 0;
        foreach (var line in lines)
        {
            number++;
            if (line.Length == 0)
                continue;
            try
            {
                using var document = JsonDocument.Parse(line);
                if (!document.RootElement.TryGetProperty("prev", out var prev) || prev.GetString() != previous)
                    return number;
            }
            catch (JsonException)
            {
                return number;
            }

            previous = HashOf(line);
        }

        return 0;
    }
}
