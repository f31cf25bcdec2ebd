using ConfigCluster.Storage.Faster;
using ConfigCluster.Storage.Snapshots;

namespace ConfigCluster.Storage;

/// <summary>What the last log compaction did.</summary>
/// <param name="BeginBefore">The log's begin address before it.</param>
/// <param name="BeginAfter">The begin address after it: everything below is gone.</param>
/// <param name="CopiedBytes">Bytes of live records copied to the tail.</param>
/// <param name="LiveBytes">The log span (tail minus begin) right after it.</param>
public sealed record CompactionResult(long BeginBefore, long BeginAfter, long CopiedBytes, long LiveBytes)
{
    /// <summary>Log bytes given up: the compacted range less what was copied out of it.</summary>
    public long ReclaimedBytes => BeginAfter - BeginBefore - CopiedBytes;
}

public sealed partial class FasterVersionedStore
{
    // The log span right after the last compaction: what was live then. The next compaction runs
    // once the span has doubled past it (half of it reclaimable at least), as Redis rewrites its
    // append-only file once it has grown by 100% since the last rewrite.
    private long compactionBaseline;

    // Guards log scans against compaction (which moves the begin address under them): the number
    // of scans running, or -1 while the writer compacts. A compaction is skipped, not waited
    // for, while a scan runs; it is tried again at the next checkpoint.
    private int scanState;
    private long compactions;
    private CompactionResult? lastCompaction;

    /// <summary>Compactions run since the store was opened.</summary>
    public long Compactions => Interlocked.Read(ref compactions);

    /// <summary>What the last compaction did, or null when none ran since open.</summary>
    public CompactionResult? LastCompaction => Volatile.Read(ref lastCompaction);

    /// <summary>The log's begin address: records below it were reclaimed by compaction.</summary>
    public long LogBeginAddress => Volatile.Read(ref current).Instance.BeginAddress;

    /// <summary>Bytes of FASTER's in-memory log left empty to pay for the key index (see <see cref="StoreOptions.LogMemoryBytes"/>).</summary>
    public long KeyIndexReservedBytes => Volatile.Read(ref current).Instance.EmptyPages * Volatile.Read(ref current).Instance.PageBytes;

    /// <summary>
    /// Compacts the FASTER log now, on the writer thread, whatever the reclaimable share (the
    /// next checkpoint gives the space back to the file system). Null when a snapshot or digest
    /// scan was running (nothing was done).
    /// </summary>
    public Task<CompactionResult?> CompactLogAsync() => writer.RunAsync(CompactLog);

    // The writer's part of a checkpoint, between two applied commands: the meta record, a
    // compaction when the log has grown enough, the key index's memory, the start-up image.
    private StartupImage PrepareCheckpoint()
    {
        WriteMeta();
        var instance = WriterInstance;
        var span = instance.TailAddress - instance.BeginAddress;
        if (options.CompactionMinBytes > 0 && span >= options.CompactionMinBytes && span >= 2 * compactionBaseline)
            CompactLog();
        CountKeyIndexMemory(current);
        return CaptureStartupImage();
    }

    private CompactionResult? CompactLog()
    {
        if (Interlocked.CompareExchange(ref scanState, -1, 0) != 0)
            return null;
        try
        {
            var instance = WriterInstance;
            var (begin, tail) = (instance.BeginAddress, instance.TailAddress);
            var newBegin = instance.Compact(tail, default(RemovedRecords));
            var result = new CompactionResult(begin, newBegin, instance.TailAddress - tail, instance.TailAddress - newBegin);
            compactionBaseline = result.LiveBytes;
            Interlocked.Increment(ref compactions);
            Volatile.Write(ref lastCompaction, result);
            return result;
        }
        finally
        {
            Volatile.Write(ref scanState, 0);
        }
    }

    // The key index lives on the heap, outside FASTER: it pays for itself by leaving as many
    // pages of FASTER's in-memory log empty, so the two together stay within the budget.
    private static void CountKeyIndexMemory(StoreView view)
    {
        var pageBytes = view.Instance.PageBytes;
        view.Instance.LeaveEmptyPages((int)((view.Index.EstimatedBytes + pageBytes - 1) / pageBytes));
    }

    private bool TryEnterScan()
    {
        while (true)
        {
            var state = Volatile.Read(ref scanState);
            if (state < 0)
                return false;
            if (Interlocked.CompareExchange(ref scanState, state + 1, state) == state)
                return true;
        }
    }

    private void ExitScan() => Interlocked.Decrement(ref scanState);

    // For callers on their own thread (the digest): a compaction is short next to a digest.
    private void EnterScanWaiting()
    {
        var spin = new SpinWait();
        while (!TryEnterScan())
            spin.SpinOnce(sleep1Threshold: 10);
    }
}
