using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace ConfigCluster.Server.Acl;

/// <summary>
/// The audit stream (<c>--audit-sink</c>): every line written to the audit file, also sent as a JSON
/// line (or an RFC 5424 syslog message) to stdout, a Unix socket or a TCP endpoint, for a SIEM.
/// One thread of its own writes and reconnects; the lines wait in a buffer bounded by
/// <see cref="AuditSinkTarget.Buffer"/>. Fail closed like the file: while the sink is not connected,
/// or its buffer is full, or a write fails, <see cref="SendAsync"/> fails at once and the requests
/// those records belong to are refused (503 / UNAVAILABLE) until the sink is back.
/// </summary>
public sealed partial class AuditStreamSink : IDisposable
{
    private static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(2);
    private readonly Queue<Batch> queue = new();
    private readonly Lock gate = new();
    private readonly SemaphoreSlim signal = new(0);
    private readonly CancellationTokenSource stopping = new();
    private readonly Thread? writer;
    private readonly string host;
    private readonly ILogger<AuditStreamSink> logger;
    private readonly int processId = Environment.ProcessId;
    private Socket? socket;
    private Stream? stream;
    private int queuedLines;
    private volatile bool connected;

    /// <summary>Starts the sink's thread (which connects) when <c>--audit-sink</c> is set; otherwise the sink is off.</summary>
    public AuditStreamSink(NodeSettings settings, ILogger<AuditStreamSink> logger)
    {
        ArgumentNullException.ThrowIfNull(settings);
        this.logger = logger;
        Target = settings.AuditSink;
        host = settings.NodeId;
        if (Target is null)
            return;
        writer = new Thread(Run) { IsBackground = true, Name = "audit stream" };
        writer.Start();
    }

    /// <summary>Where the lines go; null when the node has no audit stream.</summary>
    public AuditSinkTarget? Target { get; }

    /// <summary>True while the sink can take lines (always true when there is none).</summary>
    public bool IsUp => Target is null || connected;

    /// <summary>Lines waiting to be written.</summary>
    public int Queued => Volatile.Read(ref queuedLines);

    /// <summary>The failure a request gets while the sink is down.</summary>
    public IOException Down() => new($"the audit stream ({Target}) is not connected");

    /// <summary>
    /// Queues <paramref name="lines"/> (sealed audit lines, without newlines); completes once they
    /// are written to the sink, fails if they cannot be (the requests must not be served).
    /// </summary>
    public Task SendAsync(IReadOnlyList<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        if (Target is null)
            return Task.CompletedTask;
        if (!connected)
            return Task.FromException(Down());
        var batch = new Batch(lines, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (gate)
        {
            if (queuedLines + lines.Count > Target.Buffer)
                return Task.FromException(new IOException($"the audit stream ({Target}) has {queuedLines} lines unsent, its buffer is full"));
            queue.Enqueue(batch);
            queuedLines += lines.Count;
        }

        signal.Release();
        return batch.Done.Task;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        stopping.Cancel();
        writer?.Join(TimeSpan.FromSeconds(5));
        Disconnect();
        FailQueued(new IOException("the audit stream is closed"));
        signal.Dispose();
        stopping.Dispose();
    }

    // Connect, then write whatever is queued; on a failure fail what was queued, drop the
    // connection and try again with a growing delay. Probes an idle connection every 250 ms so a
    // sink that went away is noticed before the next request needs it.
    private void Run()
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (!stopping.IsCancellationRequested)
        {
            if (!connected)
            {
                if (!TryConnect())
                {
                    FailQueued(Down());
                    stopping.Token.WaitHandle.WaitOne(delay);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxReconnectDelay.Ticks));
                    continue;
                }

                delay = TimeSpan.FromMilliseconds(100);
            }

            try
            {
                if (!signal.Wait(TimeSpan.FromMilliseconds(250), stopping.Token))
                {
                    if (PeerClosed())
                        Fail(new IOException("the listener closed the connection"));
                    continue;
                }
            }
            catch (OperationCanceledException)
            {
                break;
            }

            WriteQueued();
        }
    }

    private void WriteQueued()
    {
        List<Batch> batches;
        lock (gate)
        {
            batches = [.. queue];
            queue.Clear();
        }

        if (batches.Count == 0)
            return;
        try
        {
            if (PeerClosed())
                throw new IOException("the listener closed the connection");
            var text = new StringBuilder();
            foreach (var batch in batches)
            {
                foreach (var line in batch.Lines)
                    Frame(text, line);
            }

            stream!.Write(Encoding.UTF8.GetBytes(text.ToString()));
            stream.Flush();
            Release(batches, null);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            Release(batches, new IOException($"the audit stream ({Target}) could not be written: {e.Message}", e));
            Fail(e);
        }
    }

    private void Release(List<Batch> batches, IOException? failure)
    {
        var lines = 0;
        foreach (var batch in batches)
        {
            lines += batch.Lines.Count;
            if (failure is null)
                batch.Done.TrySetResult();
            else
                batch.Done.TrySetException(failure);
        }

        lock (gate)
            queuedLines -= lines;
    }

    private void FailQueued(IOException failure)
    {
        List<Batch> batches;
        lock (gate)
        {
            batches = [.. queue];
            queue.Clear();
        }

        Release(batches, failure);
    }

    // JSON lines as they are in the file; or RFC 5424 (facility "log audit", severity informational)
    // with the line as the message, octet-counted (RFC 6587) on sockets, newline-ended on stdout.
    private void Frame(StringBuilder text, string line)
    {
        if (!Target!.Syslog)
        {
            text.Append(line).Append('\n');
            return;
        }

        var message = string.Create(CultureInfo.InvariantCulture, $"<110>1 {DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {host} configcluster {processId} audit - {line}");
        if (Target.Kind == AuditSinkKind.Stdout)
            text.Append(message).Append('\n');
        else
            text.Append(Encoding.UTF8.GetByteCount(message).ToString(CultureInfo.InvariantCulture)).Append(' ').Append(message);
    }

    private bool TryConnect()
    {
        try
        {
            if (Target!.Kind == AuditSinkKind.Stdout)
            {
                stream = Console.OpenStandardOutput();
            }
            else
            {
                var created = Target.Kind == AuditSinkKind.Unix
                    ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
                    : new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                socket = created;
                created.SendTimeout = 5000;
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
                timeout.CancelAfter(ConnectTimeout);
                // This thread is the sink's own: waiting here holds no thread-pool thread.
                if (Target.Kind == AuditSinkKind.Unix)
                    created.ConnectAsync(new UnixDomainSocketEndPoint(Target.Address), timeout.Token).AsTask().GetAwaiter().GetResult();
                else
                    created.ConnectAsync(Target.Address, Target.Port, timeout.Token).AsTask().GetAwaiter().GetResult();
                stream = new NetworkStream(created, ownsSocket: false);
            }

            connected = true;
            Log.Connected(logger, Target.ToString());
            return true;
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or UnauthorizedAccessException)
        {
            Disconnect();
            return false;
        }
    }

    private bool PeerClosed()
    {
        try
        {
            return socket is { } open && open.Poll(0, SelectMode.SelectRead) && open.Available == 0;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    private void Fail(Exception e)
    {
        Log.Failed(logger, Target!.ToString(), e.Message);
        Disconnect();
        FailQueued(Down());
    }

    private void Disconnect()
    {
        connected = false;
        try
        {
            stream?.Dispose();
            socket?.Dispose();
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            // Closing a broken connection: nothing more to lose.
        }

        stream = null;
        socket = null;
    }

    private sealed record Batch(IReadOnlyList<string> Lines, TaskCompletionSource Done);

    private static partial class Log
    {
        [LoggerMessage(EventId = 6110, Level = LogLevel.Information, Message = "The audit stream is connected to {Sink}")]
        public static partial void Connected(ILogger logger, string sink);

        [LoggerMessage(EventId = 6111, Level = LogLevel.Error, Message = "The audit stream to {Sink} failed ({Reason}); requests are refused until it reconnects")]
        public static partial void Failed(ILogger logger, string sink, string reason);
    }
}
