using System.Buffers.Binary;

namespace ConfigCluster.Consensus;

/// <summary>
/// Tells when WAL entries are on disk, from DotNext's own checkpoint record. In 6.12 the WAL's
/// background flusher runs on every append and commit: it msyncs (MS_SYNC) the data and metadata
/// pages up to the last entry, then rewrites <c>wal/checkpoint</c> in place (version, commit index,
/// last index) through an O_SYNC handle, and recovery at start trusts exactly that last index. So
/// an entry is durable once the record names an index at or past it and the record itself is synced.
/// </summary>
/// <remarks>
/// <para>
/// Why not <c>WriteAheadLog.FlushAsync</c>: in 6.12 it waits on a single-waiter event that the
/// flusher signals from its own thread, and under concurrent appends the waiter crashes the
/// process (InvalidOperationException from AsyncAutoResetEventSlim.OnCompleted), even when the
/// calls are serialized.
/// </para>
/// <para>
/// Instead one dedicated thread (no thread-pool thread blocks on I/O) reads the 20-byte record
/// through a handle kept open, and when it covers the lowest index waited for, fsyncs the record
/// file (a write seen in the page cache is not yet known to be durable) and releases every waiter
/// it covers: group commit, one fsync for everything the flusher wrote meanwhile. Between reads
/// the thread sleeps until the record file changes (an inotify event through
/// <see cref="FileSystemWatcher"/>, raised after the flusher's O_SYNC write returned) or a new
/// waiter arrives, so a write waits for the flusher, not for a polling period. The wait has a
/// short timeout as well, in case an event is lost (inotify queue overflow) or no watcher could be
/// started (then the record is polled every millisecond, as before).
/// </para>
/// </remarks>
internal sealed class DurableIndexWatcher : IDisposable
{
    private const int RecordSize = 20;
    private static readonly TimeSpan EventTimeout = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan PollPeriod = TimeSpan.FromMilliseconds(1);

    private readonly string directory;
    private readonly string path;
    private readonly Lock gate = new();
    private readonly List<(long Index, TaskCompletionSource Done)> waiters = [];
    private readonly AutoResetEvent signal = new(false);
    private readonly Thread thread;
    private readonly byte[] record = new byte[RecordSize];
    private FileSystemWatcher? changes;
    private FileStream? file;
    private volatile bool disposed;
    private long durableIndex;

    public DurableIndexWatcher(string walDirectory)
    {
        directory = walDirectory;
        path = Path.Combine(walDirectory, "checkpoint");
        thread = new Thread(Run) { IsBackground = true, Name = "wal-durable-index" };
        thread.Start();
    }

    /// <summary>The highest index known to be on disk.</summary>
    public long DurableIndex => Interlocked.Read(ref durableIndex);

    /// <summary>Whether changes of the record wake the watcher (false: it polls).</summary>
    public bool EventDriven => Volatile.Read(ref changes) is not null;

    /// <summary>Completes once entries up to <paramref name="index"/> are on disk.</summary>
    public Task WaitAsync(long index, CancellationToken token)
    {
        if (index <= DurableIndex)
            return Task.CompletedTask;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (gate)
            waiters.Add((index, done));
        signal.Set();
        return done.Task.WaitAsync(token);
    }

    private void Run()
    {
        while (!disposed)
        {
            if (LowestWaited() is not { } lowest)
            {
                signal.WaitOne();
                continue;
            }

            var written = ReadLastIndex();
            if (written >= lowest)
            {
                file!.Flush(flushToDisk: true);
                Interlocked.Exchange(ref durableIndex, written);
                Release(written);
            }
            else
            {
                signal.WaitOne(EventDriven ? EventTimeout : PollPeriod);
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
    // DotNext writes it in place, so the handle opened once (when the file first exists) stays valid.
    private long ReadLastIndex()
    {
        if (file is null && !TryOpen())
            return 0;
        return RandomAccess.Read(file!.SafeFileHandle, record, 0) == RecordSize && BinaryPrimitives.ReadUInt32LittleEndian(record) == 1
            ? BinaryPrimitives.ReadInt64LittleEndian(record.AsSpan(12))
            : 0;
    }

    private bool TryOpen()
    {
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
        }
        catch (FileNotFoundException)
        {
            return false; // the WAL has not created it yet
        }

        StartWatching();
        return true;
    }

    private void StartWatching()
    {
        try
        {
            var watcher = new FileSystemWatcher(directory, Path.GetFileName(path)) { NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size };
            watcher.Changed += (_, _) => signal.Set();
            watcher.Error += (_, _) => signal.Set(); // a lost event: look now; the timeout covers the rest
            watcher.EnableRaisingEvents = true;
            Volatile.Write(ref changes, watcher);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException or ArgumentException)
        {
            // No inotify instance left (fs.inotify.max_user_instances) or no watcher here: poll.
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        disposed = true;
        signal.Set();
        thread.Join(TimeSpan.FromSeconds(5));
        changes?.Dispose();
        file?.Dispose();
        signal.Dispose();
        lock (gate)
        {
            foreach (var (_, done) in waiters)
                done.TrySetException(new ObjectDisposedException(nameof(DurableIndexWatcher)));
            waiters.Clear();
        }
    }
}
