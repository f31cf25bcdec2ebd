using System.CommandLine;
using ConfigCluster.Contracts.Audit;

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

            var bad = AuditChain.FirstBrokenLine(File.ReadLines(path));
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
}
