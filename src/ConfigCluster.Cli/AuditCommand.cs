using System.CommandLine;
using System.Globalization;
using ConfigCluster.Contracts.Audit;

namespace ConfigCluster.Cli;

/// <summary>
/// <c>ccctl audit verify PATH</c>: checks a node's audit chain offline (a copy of its
/// <c>DATA_DIR/audit</c> directory, or one file) with the cluster secret. <c>--checkpoint LINES:MAC</c>
/// (from the node's <c>GET /audit/verify</c>, which holds the checkpoint replicated through the
/// log) also detects a removed tail.
/// </summary>
internal static class AuditCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "a node's audit directory (all files, oldest first) or one audit file" };
        var secretFile = new Option<string?>("--cluster-secret-file") { Description = "file with the base64 cluster secret (else CONFIGCLUSTER_CLUSTER_SECRET)" };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "LINES:MAC of the node's replicated checkpoint, to detect a removed tail" };
        var verify = new Command("verify", "detect an edited, inserted or removed line, a rewritten file, or (with --checkpoint) a removed tail") { path, secretFile, checkpoint };
        verify.SetAction(parse => Verify(parse.GetValue(path)!, parse.GetValue(secretFile), parse.GetValue(checkpoint)));
        return new Command("audit", "audit log tools") { verify };
    }

    private static int Verify(string path, string? secretFile, string? checkpointText)
    {
        var files = Directory.Exists(path) ? ChainFiles(path) : File.Exists(path) ? [path] : null;
        if (files is null)
        {
            Console.Error.WriteLine($"ccctl: {path} does not exist");
            return ExitCodes.Usage;
        }

        var secretText = secretFile is not null ? File.ReadAllText(secretFile) : Environment.GetEnvironmentVariable("CONFIGCLUSTER_CLUSTER_SECRET");
        byte[] key;
        try
        {
            key = ClusterKeys.Derive(Convert.FromBase64String((secretText ?? "").Trim()), ClusterKeys.AuditPurpose);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            Console.Error.WriteLine($"ccctl: the cluster secret (--cluster-secret-file or CONFIGCLUSTER_CLUSTER_SECRET) must be base64 of at least {ClusterKeys.MinSecretBytes} bytes");
            return ExitCodes.Usage;
        }

        var verifier = new AuditChainVerifier(key);
        if (checkpointText is not null)
        {
            var parts = checkpointText.Split(':');
            if (parts.Length != 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var lines) || parts[1].Length != AuditChain.MacHexLength)
            {
                Console.Error.WriteLine("ccctl: --checkpoint must be LINES:MAC");
                return ExitCodes.Usage;
            }

            verifier.ExpectCheckpoint(new AuditCheckpoint(lines, parts[1]));
        }

        foreach (var file in files)
        {
            foreach (var line in File.ReadLines(file))
            {
                if (!verifier.Add(line, Path.GetFileName(file)))
                    break;
            }
        }

        if (verifier.Finish())
        {
            Console.WriteLine($"{path}: chain intact ({verifier.Lines} lines)");
            return ExitCodes.Ok;
        }

        Console.Error.WriteLine($"ccctl: {path}: the chain breaks at line {verifier.FailedLine}{(verifier.FailedFile is null ? "" : $" ({verifier.FailedFile})")}: {verifier.Failure}");
        return ExitCodes.Conflict;
    }

    // Rotated files (audit.NNNNNN.jsonl) by number, then the current audit.jsonl.
    private static List<string> ChainFiles(string directory)
    {
        var rotated = Directory.EnumerateFiles(directory, "audit.*.jsonl")
            .Select(static f => (File: f, Number: long.TryParse(Path.GetFileName(f)["audit.".Length..^".jsonl".Length], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1))
            .Where(static f => f.Number >= 0)
            .OrderBy(static f => f.Number)
            .Select(static f => f.File)
            .ToList();
        var current = Path.Combine(directory, "audit.jsonl");
        if (File.Exists(current))
            rotated.Add(current);
        return rotated;
    }
}
