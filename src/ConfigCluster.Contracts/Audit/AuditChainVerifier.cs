using System.Text.Json;

namespace ConfigCluster.Contracts.Audit;

/// <summary>A checkpoint of one node's audit chain: the chain had <see cref="Lines"/> lines, the last with MAC <see cref="Mac"/>.</summary>
public sealed record AuditCheckpoint(long Lines, string Mac);

/// <summary>
/// Checks an audit chain line by line (feed the files oldest first), and at the end against a
/// checkpoint replicated through the log, which detects a tail cut off after the checkpoint was
/// taken. Stops at the first failure.
/// </summary>
public sealed class AuditChainVerifier(byte[] key)
{
    private string previousMac = AuditChain.Genesis;
    private string? macAtCheckpoint;
    private AuditCheckpoint? checkpoint;

    /// <summary>Lines checked so far.</summary>
    public long Lines { get; private set; }

    /// <summary>The first failure (null while intact).</summary>
    public string? Failure { get; private set; }

    /// <summary>The 1-based chain position of the first bad line (null while intact).</summary>
    public long? FailedLine { get; private set; }

    /// <summary>The file that held the first bad line (null while intact, or for a tail failure).</summary>
    public string? FailedFile { get; private set; }

    /// <summary>Checks against <paramref name="expected"/> at the end (call before the lines).</summary>
    public void ExpectCheckpoint(AuditCheckpoint? expected) => checkpoint = expected;

    /// <summary>Checks the next line; false once the chain is broken.</summary>
    public bool Add(string line, string file)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (Failure is not null)
            return false;
        if (line.Length == 0)
            return true;
        var number = Lines + 1;
        if (!AuditChain.TryOpen(line, out var body, out var mac))
            return Fail(number, file, "the line carries no MAC (written by something else, or rewritten)");
        if (!AuditChain.SameMac(AuditChain.Mac(key, previousMac, body), mac))
            return Fail(number, file, "the MAC does not match: this line, or one before it, was edited, inserted or removed, or the file was rewritten without the audit key");
        if (SequenceOf(body) != number)
            return Fail(number, file, $"the line says it is not line {number} of the chain (lines before it are missing)");
        Lines = number;
        previousMac = mac;
        if (checkpoint is { } c && c.Lines == number)
            macAtCheckpoint = mac;
        return true;
    }

    /// <summary>After the last line: checks the replicated checkpoint; false when the chain is broken or cut short.</summary>
    public bool Finish()
    {
        if (Failure is not null || checkpoint is not { } c)
            return Failure is null;
        if (Lines < c.Lines)
        {
            Failure = $"the chain has {Lines} lines but the replicated checkpoint recorded {c.Lines}: its tail was removed";
            FailedLine = Lines + 1;
            return false;
        }

        if (macAtCheckpoint is null || !AuditChain.SameMac(macAtCheckpoint, c.Mac))
        {
            Failure = $"line {c.Lines} does not carry the MAC the replicated checkpoint recorded: the chain was replaced";
            FailedLine = c.Lines;
            return false;
        }

        return true;
    }

    private bool Fail(long number, string file, string reason)
    {
        Failure = reason;
        FailedLine = number;
        FailedFile = file;
        return false;
    }

    private static long SequenceOf(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.TryGetProperty("seq", out var seq) && seq.TryGetInt64(out var value) ? value : -1;
        }
        catch (JsonException)
        {
            return -1;
        }
    }
}
