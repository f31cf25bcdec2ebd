using System.Collections.Concurrent;
using System.Text.Json;
using ConfigCluster.Contracts.Audit;
using Microsoft.Extensions.Options;

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
/// This node's append-only audit trail (JSON lines in <c>DATA_DIR/audit/audit.jsonl</c>, rotated
/// by size into <c>audit.NNNNNN.jsonl</c>). Each line is MACed with the cluster's audit key over
/// the previous line's MAC (<see cref="AuditChain"/>), across files. One background writer takes
/// every line queued meanwhile, writes them at once and flushes them to disk; a request's
/// <see cref="WriteAsync"/> completes only when its line is durable, and fails (so the request is
/// refused) when the sink cannot write.
/// </summary>
public sealed partial class AuditLog : IDisposable
{
    /// <summary>The current file's name.</summary>
    public const string FileName = "audit.jsonl";

    /// <summary>The directory under the data directory that holds the audit files.</summary>
    public const string DirectoryName = "audit";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    // The writer sleeps on an event that never spins: a BlockingCollection spins its semaphore
    // before it sleeps, and with a batch every millisecond or so that spin was a tenth of a busy
    // node's CPU. Lines are queued under addGate so none is queued once Dispose closed the log.
    private readonly ConcurrentQueue<Pending> queue = new();
    private readonly ManualResetEventSlim wake = new(false, spinCount: 0);
    private readonly Lock addGate = new();
    private volatile bool closed;
    private readonly CancellationTokenSource stopping = new();
    private readonly Thread writer;
    private readonly AuditOptions options;
    private readonly byte[] key;
    private readonly ILogger<AuditLog> logger;
    private readonly AuditStreamSink? streamSink;

    /// <summary>Opens (or starts) the chain in <paramref name="dataDirectory"/> and starts the writer.</summary>
    public AuditLog(string dataDirectory, ClusterSecret secret, IOptions<AuditOptions> options, ILogger<AuditLog> logger)
        : this(dataDirectory, secret, options, logger, null)
    {
    }

    /// <summary>
    /// Opens (or starts) the chain and starts the writer; every line is also sent to
    /// <paramref name="streamSink"/> (the <c>--audit-sink</c> stream) when it is set, and a request's
    /// record counts as written only once both have it.
    /// </summary>
    public AuditLog(string dataDirectory, ClusterSecret secret, IOptions<AuditOptions> options, ILogger<AuditLog> logger, AuditStreamSink? streamSink)
    {
        this.streamSink = streamSink?.Target is null ? null : streamSink;
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(options);
        this.options = options.Value;
        this.logger = logger;
        key = secret.AuditKey;
        Directory = System.IO.Path.Combine(dataDirectory, DirectoryName);
        System.IO.Directory.CreateDirectory(Directory);
        Path = System.IO.Path.Combine(Directory, FileName);
        durable = RecoverTail();
        writer = new Thread(Run) { IsBackground = true, Name = "audit writer" };
        writer.Start();
    }

    /// <summary>The directory holding the audit files.</summary>
    public string Directory { get; }

    /// <summary>The file lines are appended to.</summary>
    public string Path { get; }

    /// <summary>False after the file could not be written, until a write succeeds again.</summary>
    public bool FileIsUp => Volatile.Read(ref fileUp);

    /// <summary>The durable end of the chain: lines written and flushed so far, and the last MAC.</summary>
    public AuditCheckpoint Durable => Volatile.Read(ref durable);

    /// <summary>Queues <paramref name="record"/>; completes once its line is on disk.</summary>
    /// <exception cref="IOException">The line could not be written (the request must not be served).</exception>
    public ValueTask WriteAsync(AuditRecord record, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(record);
        token.ThrowIfCancellationRequested();
        var pending = new Pending(record, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (addGate)
        {
            if (closed)
                throw new IOException("the audit log is closed");
            queue.Enqueue(pending);
        }

        wake.Set();

        return new ValueTask(pending.Done.Task.WaitAsync(token));
    }

    // The JSON object a line holds before its MAC is added. Field names are part of the format.
    private static string Body(AuditRecord record, long seq) => JsonSerializer.Serialize(
        new { record.Time, record.Node, tokenName = record.TokenName, record.Accessor, record.Operation, record.Key, record.Namespace, record.Environment, record.Decision, record.Version, seq }, Json);

    /// <summary>Stops the writer after the lines already queued.</summary>
    public void Dispose()
    {
        lock (addGate)
            closed = true;
        wake.Set();
        if (!writer.Join(TimeSpan.FromSeconds(5)))
            stopping.Cancel();
        CloseStream();
        stopping.Dispose();
        // The event is not disposed: it holds no kernel handle, and a late WriteAsync may still set it.
    }

    private sealed record Pending(AuditRecord Record, TaskCompletionSource Done);

    private static partial class Log
    {
        [LoggerMessage(EventId = 6100, Level = LogLevel.Error, Message = "The audit sink cannot write ({Reason}); requests are refused until it can")]
        public static partial void SinkFailed(ILogger logger, string reason);

        [LoggerMessage(EventId = 6101, Level = LogLevel.Error, Message = "The audit file {File} disappeared while open; a new file continues the chain (the lines it held are gone, and audit verify will say so)")]
        public static partial void FileVanished(ILogger logger, string file);

        [LoggerMessage(EventId = 6102, Level = LogLevel.Information, Message = "Rotated the audit file to {File}")]
        public static partial void Rotated(ILogger logger, string file);

        [LoggerMessage(EventId = 6103, Level = LogLevel.Warning, Message = "Dropped an incomplete last audit line ({Bytes} bytes) left by a crash; its request was never served")]
        public static partial void DroppedPartialLine(ILogger logger, long bytes);
    }
}
