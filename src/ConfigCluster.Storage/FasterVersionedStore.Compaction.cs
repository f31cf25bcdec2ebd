using ConfigCluster.Storage.Faster;
using ConfigCluster.Storage.Snapshots;

namespace ConfigCluster.Storage;

/// <summary>What one log compaction step (a slice of a pass, or a whole pass) did.</summary>
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
    // The log span right after the last compaction pass: what was live then. The next pass starts
    // once the span has doubled past it (half of it reclaimable at least), as Redis rewrites its
    // append-only file once it has grown by 100% since the last rewrite.
    private long compactionBaseline;

    // A pass compacts the log up to the tail it found when it began, one slice per checkpoint
    // (StoreOptions.CompactionSliceBytes), so apply never waits for a whole pass: 0 when no pass
    // runs. The writer's alone; not persisted (after a restart the next checkpoint judges again).
    private long passUntil;

    // Guards log scans against compaction (which moves the begin address under them): the number
    // of scans running, or -1 while the writer compacts. A compaction is skipped, not waited
    // for, while a scan runs; it is tried again at the next checkpoint.
    private int scanState;
    // Holders of HoldCompaction: while any, no compaction starts (backups streaming a checkpoint).
    private int compactionHolds;
    private long compactions;
    private long compactionPasses;
    private CompactionResult? lastCompaction;

    /// <summary>Compaction steps (slices, or whole passes run by <see cref="CompactLogAsync"/>) since the store was opened.</summary>
    public long Compactions => Interlocked.Read(ref compactions);

    /// <summary>Compaction passes completed since the store was opened: each reached the tail the pass started from.</summary>
    public long CompactionPasses => Interlocked.Read(ref compactionPasses);

    /// <summary>Whether a compaction pass is under way (more slices to come at the next checkpoints).</summary>
    public bool CompactionPassRunning => Volatile.Read(ref passUntil) != 0;

    /// <summary>What the last compaction step did, or null when none ran since open.</summary>
    public CompactionResult? LastCompaction => Volatile.Read(ref lastCompaction);

    /// <summary>The log's begin address: records below it were reclaimed by compaction.</summary>
    public long LogBeginAddress => Volatile.Read(ref current).Instance.BeginAddress;

    /// <summary>Bytes of FASTER's in-memory log left empty to pay for the key index (see <see cref="StoreOptions.LogMemoryBytes"/>).</summary>
    public long KeyIndexReservedBytes => Volatile.Read(ref current).Instance.EmptyPages * Volatile.Read(ref current).Instance.PageBytes;

    /// <inheritdoc/>
    public IDisposable HoldCompaction()
    {
        Interlocked.Increment(ref compactionHolds);
        return new CompactionHold(this);
    }

    private sealed class CompactionHold(FasterVersionedStore store) : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
                Interlocked.Decrement(ref store.compactionHolds);
        }
    }

    /// <summary>
    /// Compacts the whole FASTER log now, in one step on the writer thread, whatever the
    /// reclaimable share (the next checkpoint gives the space back to the file system). Null when
    /// a snapshot or digest scan was running or a hold was taken (nothing was done).
    /// </summary>
    public Task<CompactionResult?> CompactLogAsync() => writer.RunAsync(() =>
    {
        if (Volatile.Read(ref compactionHolds) > 0)
            return null;
        var result = CompactLog(WriterInstance.TailAddress);
        if (result is not null)
            EndPass(result);
        return result;
    });

    // The writer's part of a checkpoint, between two applied commands: the meta record, one
    // compaction slice when a pass is due or under way, the key index's memory, the start-up image.
    private StartupImage PrepareCheckpoint()
    {
        WriteMeta();
        CompactSliceIfDue();
        CountKeyIndexMemory(current);
        return CaptureStartupImage();
    }

    private void CompactSliceIfDue()
    {
        if (options.CompactionMinBytes <= 0 || Volatile.Read(ref compactionHolds) > 0)
            return;
        var instance = WriterInstance;
        var begin = instance.BeginAddress;
        if (passUntil <= begin)
        {
            Volatile.Write(ref passUntil, 0);
            var span = instance.TailAddress - begin;
            if (span < options.CompactionMinBytes || span < 2 * compactionBaseline)
                return;
            Volatile.Write(ref passUntil, instance.TailAddress);
        }

        // A slice ends on a page boundary (records never span pages) or at the pass's end.
        var slice = Math.Max(options.CompactionSliceBytes, instance.PageBytes);
        var until = options.CompactionSliceBytes <= 0 || passUntil - begin <= slice
            ? passUntil
            : (begin + slice) / instance.PageBytes * instance.PageBytes;
        if (CompactLog(until) is { } result && result.BeginAfter >= passUntil)
            EndPass(result);
    }

    private void EndPass(CompactionResult result)
    {
        compactionBaseline = result.LiveBytes;
        Volatile.Write(ref passUntil, 0);
        Interlocked.Increment(ref compactionPasses);
    }

    private CompactionResult? CompactLog(long until)
    {
        if (Interlocked.CompareExchange(ref scanState, -1, 0) != 0)
            return null;
        try
        {
            var instance = WriterInstance;
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var (begin, tail) = (instance.BeginAddress, instance.TailAddress);
            var newBegin = instance.Compact(until, default(RemovedRecords));
            var result = new CompactionResult(begin, newBegin, instance.TailAddress - tail, instance.TailAddress - newBegin);
            StoreMeters.CompactionDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            StoreMeters.CompactionReclaimed.Add(Math.Max(0, result.ReclaimedBytes));
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
