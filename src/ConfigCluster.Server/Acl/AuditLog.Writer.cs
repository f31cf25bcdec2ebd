using System.Text;
using ConfigCluster.Contracts.Audit;

namespace ConfigCluster.Server.Acl;

public sealed partial class AuditLog
{
    private readonly Lock stateGate = new();
    private AuditCheckpoint durable;
    private FileStream? stream;
    private long durableLength;
    private bool fileUp = true;

    // The writer runs on its own thread: writes and fsync are synchronous, and they must not hold a
    // thread-pool thread. Each round takes everything queued (up to MaxBatchLines) and makes it
    // durable with one write and one flush.
    private void Run()
    {
        var batch = new List<Pending>(options.MaxBatchLines);
        try
        {
            while (true)
            {
                if (queue.TryDequeue(out var first))
                {
                    batch.Add(first);
                    while (batch.Count < options.MaxBatchLines && queue.TryDequeue(out var next))
                        batch.Add(next);
                    WriteBatch(batch);
                    batch.Clear();
                    continue;
                }

                // Closed is set under addGate, after every line queued before it: once it reads
                // true, an empty queue stays empty.
                if (closed)
                {
                    if (queue.IsEmpty)
                        break;
                    continue;
                }

                // Reset before the last look: a line queued after it sets the event again.
                wake.Reset();
                if (queue.IsEmpty && !closed)
                    wake.Wait(stopping.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }

        foreach (var pending in batch)
            pending.Done.TrySetException(new IOException("the audit log is closed"));
        while (queue.TryDequeue(out var left))
            left.Done.TrySetException(new IOException("the audit log is closed"));
    }

    private void WriteBatch(List<Pending> batch)
    {
        // Fail closed on the stream too: while it is down, nothing is written and nothing served.
        if (streamSink is { IsUp: false })
        {
            Refuse(batch, streamSink.Down(), "stream");
            return;
        }

        var start = durable;
        var lines = new List<string>(batch.Count);
        var (seq, mac) = (start.Lines, start.Mac);
        var text = new StringBuilder();
        foreach (var pending in batch)
        {
            var body = Body(pending.Record, ++seq);
            mac = AuditChain.Mac(key, mac, body);
            var line = AuditChain.Seal(body, mac);
            lines.Add(line);
            text.Append(line).Append('\n');
        }

        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        long? lengthBefore = null;
        try
        {
            var file = EnsureOpen(bytes.Length);
            // Append at the real end even if something else changed the file's length meanwhile.
            lengthBefore = file.Seek(0, SeekOrigin.End);
            file.Write(bytes);
            file.Flush(flushToDisk: true);
            lock (stateGate)
            {
                Volatile.Write(ref durable, new AuditCheckpoint(seq, mac));
                durableLength = file.Length;
            }

            Volatile.Write(ref fileUp, true);
            if (streamSink is null)
            {
                foreach (var pending in batch)
                    pending.Done.TrySetResult();
            }
            else
            {
                // The file holds the lines; the requests wait until the stream has them too (a copy:
                // the writer reuses its batch list).
                var waiting = batch.ToArray();
                _ = streamSink.SendAsync(lines).ContinueWith(
                    sent =>
                    {
                        if (sent.IsCompletedSuccessfully)
                        {
                            foreach (var pending in waiting)
                                pending.Done.TrySetResult();
                        }
                        else
                        {
                            Refuse(waiting, sent.Exception?.InnerException as IOException ?? streamSink.Down(), "stream");
                        }
                    },
                    CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Any failure (not only I/O) fails the batch's requests and leaves the writer running:
            // a dead writer would leave every later request waiting forever.
            Log.SinkFailed(logger, e.Message);
            Abandon(lengthBefore);
            Volatile.Write(ref fileUp, false);
            Refuse(batch, new IOException("the audit file could not be written", e), "file");
        }
    }

    private static void Refuse(IReadOnlyCollection<Pending> batch, IOException failure, string sink)
    {
        Observability.ServerMeters.CountAuditFailures(sink == "stream", batch.Count);
        foreach (var pending in batch)
            pending.Done.TrySetException(failure);
    }

    // Opens the current file when needed, and rotates it when this batch would pass the size limit.
    private FileStream EnsureOpen(int batchBytes)
    {
        if (stream is not null && !File.Exists(Path))
        {
            Log.FileVanished(logger, Path);
            CloseStream();
        }

        if (stream is not null && stream.Length > 0 && stream.Length + batchBytes > options.MaxFileBytes)
            Rotate();
        if (stream is null)
        {
            // Never recreates the directory: if it was removed, the sink fails (and requests are
            // refused) until an operator restores it.
            var opened = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read | FileShare.Delete);
            stream = opened;
            AdoptTail();
        }

        return stream;
    }

    private void Rotate()
    {
        CloseStream();
        var target = System.IO.Path.Combine(Directory, RotatedName(NextRotationNumber()));
        lock (stateGate)
            File.Move(Path, target);
        Log.Rotated(logger, target);
    }

    // After a failed write, cut off whatever part of the batch reached the file, so the chain on
    // disk still ends at the last durable line; then start again from a fresh handle.
    private void Abandon(long? lengthBefore)
    {
        try
        {
            if (lengthBefore is { } length && stream is not null)
                stream.SetLength(length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The next open adopts whatever complete lines the file ends with.
        }

        CloseStream();
    }

    private void CloseStream()
    {
        try
        {
            stream?.Dispose();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Closing a handle on a failed device: nothing more to lose.
        }

        stream = null;
    }
}
