using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ConfigCluster.Cli;

/// <summary><c>ccctl audit verify FILE</c>: checks the hash chain of a node's audit.jsonl.</summary>
internal static class AuditCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "a node's audit.jsonl" };
        var verify = new Command("verify", "detect an edited, inserted or removed line") { file };
        verify.SetAction(parse =>
        {
            var path = parse.GetValue(file)!;
            if (!File.Exists(path))
            {
                Console.Error.WriteLine($"ccctl: {path} does not exist");
                return ExitCodes.Usage;
            }

            var bad = FirstBrokenLine(File.ReadLines(path));
            if (bad == 0)
            {
                Console.WriteLine($"{path}: chain intact");
                return ExitCodes.Ok;
            }

            Console.Error.WriteLine($"ccctl: {path}: the chain breaks at line {bad} (a line was edited, inserted or removed at or before it)");
            return ExitCodes.Conflict;
        });
        return new Command("audit", "audit log tools") { verify };
    }

    /// <summary>1-based number of the first line whose "prev" is not the hash of the line before; 0 when intact.</summary>
    public static int FirstBrokenLine(IEnumerable<string> lines)
    {
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

            previous = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(line)));
        }

        return 0;
    }
}
