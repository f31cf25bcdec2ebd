using System.Buffers.Binary;

namespace ConfigCluster.Consensus;

/// <summary>
/// Tells when WAL entries are on disk, from DotNext's own checkpoint record. In 6.12 the WAL's
/// background flusher runs on every append and commit: it msyncs (MS_SYNC) the data and metadata
/// pages up to the last entry, then rewrites <c>wal/checkpoint</c> (version, commit index, last
/// index) through an O_SYNC handle, and recovery at start trusts exactly that last index. So an
/// entry is durable once the record names an index at or past it and the record itself is synced.
/// </summary>
/// <remarks>
/// Why not <c>WriteAheadLog.FlushAsync</c>: in 6.12 it waits on a single-waiter event that the
/// flusher signals from its own thread, and under concurrent appends the waiter crashes the
/// process (InvalidOperationException from AsyncAutoResetEventSlim.OnCompleted), even when the
/// calls are serialized. Instead one dedicated thread (no thread-pool thread blocks on I/O)
/// re-reads the 20-byte record from the page cache until it covers the lowest index waited for,
/// then fsyncs the record file (a write seen in the page cache is not yet durable) and releases
/// every waiter it covers: group commit, one fsync for everything the flusher wrote meanwhile.
/// </remarks>
internal sealed class DurableIndexWatcher : IDisposable
{
    private const int RecordSize = 20;
    private readonly string path;
    private readonly Lock gate = new();
    private readonly List<(long Index, TaskCompletionSource Done)> waiters = [];
    private readonly SemaphoreSlim wake = new(0);
    private readonly Thread thread;
    private readonly byte[] record = new byte[RecordSize];
    private volatile bool disposed;
    private long durableIndex;

    public DurableIndexWatcher(string walDirectory)
    {
        path = Path.Combine(walDirectory, "checkpoint");
        thread = new Thread(Run) { IsBackground = true, Name = "wal-durable-index" };
        thread.Start();
    }

    /// <summary>The highest index known to be on disk.</summary>
    public long DurableIndex => Interlocked.Read(ref durableIndex);

    /// <summary>Completes once entries up to <paramref name="index"/> are on disk.</summary>
    public Task WaitAsync(long index, CancellationToken token)
    {
        if (index <= DurableIndex)
            return Task.CompletedTask;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (gate)
            waiters.Add((index, done));
        wake.Release();
        return done.Task.WaitAsync(token);
    }

    private void Run()
    {
        while (!disposed)
        {
            wake.Wait();
            var idle = 0;
            while (!disposed && LowestWaited() is { } lowest)
            {
                var written = ReadLastIndex();
                if (written >= lowest)
                {
                    using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None))
                        file.Flush(flushToDisk: true);
                    Interlocked.Exchange(ref durableIndex, written);
                    Release(written);
                    idle = 0;
                }
                else if (++idle < 20)
                {
                    Thread.Yield();
                }
                else
                {
                    Thread.Sleep(1);
                }
            }
        }
    }

    private long? LowestWaited()
    {
        lock (gate)
        {
            long? lowest = null;
            for (var i = waiters.Count - 1; i >= 0; i--)
            {
                if (waiters[i].Done.Task.IsCompleted)
                    waiters.RemoveAt(i); // its caller gave up
                else if (lowest is null || waiters[i].Index < lowest)
                    lowest = waiters[i].Index;
            }

            return lowest;
        }
    }

    private void Release(long durable)
    {
        lock (gate)
        {
            for (var i = waiters.Count - 1; i >= 0; i--)
            {
                if (waiters[i].Index <= durable)
                {
                    waiters[i].Done.TrySetResult();
                    waiters.RemoveAt(i);
                }
            }
        }
    }

    // The record: a 4-byte version (1), then the commit index and the last index, little-endian.
    private long ReadLastIndex()
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return RandomAccess.Read(handle, record, 0) == RecordSize && BinaryPrimitives.ReadUInt32LittleEndian(record) == 1
                ? BinaryPrimitives.ReadInt64LittleEndian(record.AsSpan(12))
                : 0;
        }
        catch (IOException)
        {
            return 0; // not written yet
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        disposed = true;
        wake.Release();
        thread.Join(TimeSpan.FromSeconds(5));
        lock (gate)
        {
            foreach (var (_, done) in waiters)
                done.TrySetException(new ObjectDisposedException(nameof(DurableIndexWatcher)));
            waiters.Clear();
        }
    }
}
