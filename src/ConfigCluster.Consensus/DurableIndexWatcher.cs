using System.Buffers.Binary;

namespace ConfigCluster.Consensus;

/// <summary>
/// Tells when WAL entries are on disk, from DotNext's own checkpoint record. In 6.12 the WAL's
/// background flusher runs on every append and commit: it msyncs (MS_SYNC) the data and metadata
/// pages up to the last entry, then rewrites <c>wal/checkpoint</c> in place (version, commit index,
/// last index) through a write-through handle, and recovery at start trusts exactly that last
/// index. So an entry is durable once a record naming an index at or past it has been written.
/// </summary>
/// <remarks>
/// <para>
/// Why not <c>WriteAheadLog.FlushAsync</c>: in 6.12 it waits on a single-waiter event that the
/// flusher signals from its own thread, and under concurrent appends the waiter crashes the
/// process (InvalidOperationException from AsyncAutoResetEventSlim.OnCompleted), even when the
/// calls are serialized.
/// </para>
/// <para>
/// Instead the flusher tells this watcher when each round is complete (<see cref="WalFlushEvents"/>):
/// at that moment the record on disk is the one the round wrote and no later write of it has
/// started, so reading it (20 bytes, from the page cache) gives an index that is durable, and every
/// waiter it covers is released at once: group commit with no sync of its own, so a write waits for
/// exactly the flusher's round that covers it.
/// </para>
/// <para>
/// A fallback keeps writes going if those notifications ever stop (a DotNext build that records
/// the measurement elsewhere): a dedicated thread (no thread-pool thread blocks on I/O) looks at
/// waiters older than <see cref="FallbackAfter"/>, reads the record and fsyncs it itself before
/// trusting it (a write seen in the page cache is not yet known to be durable), as this watcher did
/// before the notifications.
/// </para>
/// </remarks>
internal sealed class DurableIndexWatcher : IDisposable
{
    private const int RecordSize = 20;
    private static readonly TimeSpan FallbackAfter = TimeSpan.FromMilliseconds(200);

    private readonly string path;
    private readonly Lock gate = new();
    private readonly Lock fileGate = new();
    private readonly List<(long Index, TaskCompletionSource Done, long Since)> waiters = [];
    private readonly AutoResetEvent signal = new(false);
    private readonly Thread thread;
    private FileStream? file;
    private volatile bool disposed;
    private long durableIndex;
    private long fallbackReleases;

    public DurableIndexWatcher(string walDirectory)
    {
        path = Path.Combine(walDirectory, "checkpoint");
        thread = new Thread(RunFallback) { IsBackground = true, Name = "wal-durable-fallback" };
        thread.Start();
    }

    /// <summary>The highest index known to be on disk.</summary>
    public long DurableIndex => Interlocked.Read(ref durableIndex);

    /// <summary>How many times the fallback (not a flush notification) released waiters; 0 while the notifications work.</summary>
    public long FallbackReleases => Interlocked.Read(ref fallbackReleases);

    /// <summary>Completes once entries up to <paramref name="index"/> are on disk.</summary>
    public Task WaitAsync(long index, CancellationToken token)
    {
        if (index <= DurableIndex)
            return Task.CompletedTask;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (gate)
        {
            // Checked again under the lock: a round that completed since the check above has
            // either seen this waiter or published its index before this read.
            if (index <= DurableIndex)
                return Task.CompletedTask;
            waiters.Add((index, done, System.Diagnostics.Stopwatch.GetTimestamp()));
        }

        return done.Task.WaitAsync(token);
    }

    /// <summary>Called (on the flusher's thread; it must not block) after the durable index moved.</summary>
    public Action? Flushed { get; set; }

    /// <summary>Called by the WAL's flusher once a round has written its record through to disk (see <see cref="WalFlushEvents"/>).</summary>
    public void OnFlushed()
    {
        if (disposed)
            return;
        var written = ReadLastIndex();
        Interlocked.Exchange(ref durableIndex, written);
        Release(written);
        Flushed?.Invoke();
    }

    private void RunFallback()
    {
        while (!disposed)
        {
            signal.WaitOne(FallbackAfter);
            if (disposed || !HasStaleWaiter())
                continue;
            var written = ReadLastIndex();
            if (written == 0)
                continue;
            file!.Flush(flushToDisk: true);
            Interlocked.Exchange(ref durableIndex, written);
            if (Release(written))
                Interlocked.Increment(ref fallbackReleases);
            Flushed?.Invoke();
        }
    }

    private bool HasStaleWaiter()
    {
        lock (gate)
        {
            for (var i = waiters.Count - 1; i >= 0; i--)
            {
                if (waiters[i].Done.Task.IsCompleted)
                    waiters.RemoveAt(i); // its caller gave up
                else if (System.Diagnostics.Stopwatch.GetElapsedTime(waiters[i].Since) >= FallbackAfter)
                    return true;
            }

            return false;
        }
    }

    private bool Release(long durable)
    {
        var released = false;
        lock (gate)
        {
            for (var i = waiters.Count - 1; i >= 0; i--)
            {
                if (waiters[i].Index <= durable)
                {
                    released |= waiters[i].Done.TrySetResult();
                    waiters.RemoveAt(i);
                }
            }
        }

        return released;
    }

    // The record: a 4-byte version (1), then the commit index and the last index, little-endian.
    // DotNext writes it in place, so the handle opened once (when the file first exists) stays valid.
    private long ReadLastIndex()
    {
        if (Volatile.Read(ref file) is not { } handle && (handle = TryOpen()) is null)
            return 0;
        Span<byte> record = stackalloc byte[RecordSize];
        return RandomAccess.Read(handle.SafeFileHandle, record, 0) == RecordSize && BinaryPrimitives.ReadUInt32LittleEndian(record) == 1
            ? BinaryPrimitives.ReadInt64LittleEndian(record[12..])
            : 0;
    }

    private FileStream? TryOpen()
    {
        lock (fileGate)
        {
            if (file is not null)
                return file;
            try
            {
                Volatile.Write(ref file, new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None));
                return file;
            }
            catch (FileNotFoundException)
            {
                return null; // the WAL has not created it yet
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        disposed = true;
        signal.Set();
        thread.Join(TimeSpan.FromSeconds(5));
        lock (fileGate)
            file?.Dispose();
        signal.Dispose();
        lock (gate)
        {
            foreach (var (_, done, _) in waiters)
                done.TrySetException(new ObjectDisposedException(nameof(DurableIndexWatcher)));
            waiters.Clear();
        }
    }
}
