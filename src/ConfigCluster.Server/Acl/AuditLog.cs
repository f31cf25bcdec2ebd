using System.Text;
using System.Text.Json;
using ConfigCluster.Contracts.Audit;

namespace ConfigCluster.Server.Acl;

/// <summary>One audited request. Never a value, never a token.</summary>
public sealed record AuditRecord(
    DateTimeOffset Time,
    string Node,
    string? TokenName,
    string? Accessor,
    string Operation,
    string? Key,
    string? Namespace,
    string? Environment,
    string Decision,
    long? Version);

/// <summary>
/// This node's append-only audit file (JSON lines). Every line carries the SHA-256 of the line
/// before it, so an edited, inserted or removed line breaks the chain (see <see cref="Verify"/>).
/// Writing is part of serving a request: if the record cannot be written, the request fails.
/// </summary>
public sealed class AuditLog : IDisposable
{
    public const string FileName = "audit.jsonl";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Lock gate = new();
    private readonly FileStream stream;
    private string previousHash;

    public AuditLog(string dataDirectory)
    {
        Path = System.IO.Path.Combine(dataDirectory, FileName);
        previousHash = LastHash(Path);
        stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
    }

    public string Path { get; }

    /// <summary>Appends <paramref name="record"/>; completes once it is written.</summary>
    /// <exception cref="IOException">The record could not be written.</exception>
    public ValueTask WriteAsync(AuditRecord record, CancellationToken token)
    {
        Write(record);
        return ValueTask.CompletedTask;
    }

    private void Write(AuditRecord record)
    {
        lock (gate)
        {
            var line = JsonSerializer.Serialize(new { record.Time, record.Node, tokenName = record.TokenName, record.Accessor, record.Operation, record.Key, record.Namespace, record.Environment, record.Decision, record.Version, prev = previousHash }, Json);
            var bytes = Encoding.UTF8.GetBytes(line + "\n");
            stream.Write(bytes);
            stream.Flush();
            previousHash = HashOf(line);
        }
    }

    /// <summary>Checks the chain of a whole audit file; returns the 1-based number of the first bad line, or 0.</summary>
    public static int Verify(IEnumerable<string> lines) => AuditChain.FirstBrokenLine(lines);

    private static string HashOf(string line) => AuditChain.HashOf(line);

    private static string LastHash(string path)
    {
        if (!File.Exists(path))
            return "";
        var last = File.ReadLines(path).LastOrDefault(static l => l.Length > 0);
        return last is null ? "" : HashOf(last);
    }

    public void Dispose() => stream.Dispose();
}
