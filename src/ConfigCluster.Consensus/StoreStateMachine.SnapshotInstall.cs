using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Microsoft.Extensions.Logging;

namespace ConfigCluster.Consensus;

/// <summary>
/// Installing a snapshot sent by the leader. DotNext hands the snapshot to the state machine
/// inside the InstallSnapshot call, and bounds that call on both ends by the peer request
/// timeout (2 s). Receiving the snapshot has to fit in it (the bytes come off that connection),
/// but installing it into the store must not be bound by it: an install cancelled at the
/// timeout was thrown away and started again from nothing by the leader's next attempt, so a
/// store large enough (or a disk slow enough) to need longer kept a wiped follower out of the
/// cluster for good (chaos seed 1961669444). The install therefore runs on after the call that
/// brought the snapshot gives up; the leader's next attempt for the same snapshot waits for it
/// (or finds it done) and is answered within its own call, and only then does the WAL learn the
/// new snapshot index.
/// <para>
/// An install is reported done only early in a call (<see cref="InstallAnswerBudget"/>, half the
/// peer call's timeout), never near its end. Once the WAL learns the snapshot, DotNext 6.12 refuses
/// any later InstallSnapshot for that index (not above the commit index) without naming the leader,
/// and its leader answers a refusal by sending the same snapshot again: if the one answer that said
/// "installed" reached a leader that had already given up on the call, the two went round that loop
/// for good, and the follower, hearing from no leader, stayed without one (WipedFollowerTests, CI
/// 2026-12-07). Answered in the first half of the call, the success arrives while the leader waits;
/// an install that ends later is reported by the leader's next call, which finds it done at once.
/// </para>
/// </summary>
public sealed partial class StoreStateMachine
{
    // The snapshot install under way or finished, until the WAL has been told (a call returned).
    private volatile PendingInstall? pendingInstall;

    private sealed record PendingInstall(long Index, Task Task);

    private async ValueTask<long> ApplySnapshotAsync(LogEntry entry, CancellationToken token)
    {
        using var answerBy = CancellationTokenSource.CreateLinkedTokenSource(token);
        answerBy.CancelAfter(InstallAnswerBudget);
        if (pendingInstall is { } running && running.Index != entry.Index && !running.Task.IsCompleted)
        {
            // Another leader's snapshot is still going in: one install at a time.
            await WaitQuietlyAsync(running.Task, token).ConfigureAwait(false);
        }

        var install = pendingInstall;
        if (install is null || install.Index != entry.Index)
        {
            if (entry.Index <= store.AppliedIndex)
                return store.AppliedIndex;

            // Within this call: the snapshot's bytes arrive on its connection.
            var file = await ReceiveAsync(entry, token).ConfigureAwait(false);
            install = new PendingInstall(entry.Index, InstallAsync(file, entry.Index));
            pendingInstall = install;
        }

        try
        {
            // Past the budget the wait ends (OperationCanceledException): the call fails, the install goes on.
            await install.Task.WaitAsync(answerBy.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Logged by the install; the leader sends the snapshot again.
            pendingInstall = null;
            throw;
        }

        pendingInstall = null;
        if (haltReason is not null)
            await Task.Delay(Timeout.Infinite, token).ConfigureAwait(false); // halted: never apply further
        return Math.Max(store.AppliedIndex, entry.Index);
    }

    private async Task<string> ReceiveAsync(LogEntry entry, CancellationToken token)
    {
        var file = Path.Combine(tempDirectory, $"incoming-{entry.Index}-{Guid.NewGuid():N}.snap");
        try
        {
            await using (var output = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await entry.WriteToAsync(output, 1 << 16, token).ConfigureAwait(false);
                await output.FlushAsync(token).ConfigureAwait(false);
            }

            return file;
        }
        catch
        {
            File.Delete(file);
            throw;
        }
    }

    // Under the apply gate (no entry is applied and no local checkpoint taken meanwhile), and not
    // cancellable: it ends installed, halted (a snapshot this build cannot read), or failed (logged;
    // the snapshot is not marked applied and the leader sends it again).
    private async Task InstallAsync(string file, long index)
    {
        await Task.Yield(); // the receiving call goes on to wait for it with its own deadline
        await applyGate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            if (InstallDelayForTests > TimeSpan.Zero)
                await Task.Delay(InstallDelayForTests, CancellationToken.None).ConfigureAwait(false);
            var checkpoint = await store.InstallSnapshotAsync(file, CancellationToken.None).ConfigureAwait(false);
            if (checkpoint.Index != index)
                Log.SnapshotIndexMismatch(logger, index, checkpoint.Index);
            var (wasOffered, wasNewest) = (offered, newest);
            offered = newest = new StoreSnapshot(store, checkpoint, tempDirectory);
            Retire(wasOffered, wasNewest);
            Interlocked.Increment(ref snapshotsInstalled);
            var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            ConsensusMeters.SnapshotInstallDuration.Record(elapsed);
            Log.SnapshotInstalled(logger, checkpoint.Index, store.Revision);
            InstallLog.Took(logger, checkpoint.Index, elapsed);
            foreach (var observer in observers)
                observer.OnSnapshotInstalled(checkpoint.Index, store.Revision);
        }
        catch (InvalidDataException e)
        {
            await HaltOnSnapshotAsync(index, e, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            InstallLog.Failed(logger, index, e);
            throw;
        }
        finally
        {
            applyGate.Release();
            File.Delete(file);
        }
    }

    private static async Task WaitQuietlyAsync(Task task, CancellationToken token)
    {
        try
        {
            await task.WaitAsync(token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Its failure was logged by the install itself.
        }
    }

    private static partial class InstallLog
    {
        [LoggerMessage(EventId = 7110, Level = LogLevel.Information, Message = "Snapshot up to index {Index} installed in {ElapsedMs:F0} ms")]
        public static partial void Took(ILogger logger, long index, double elapsedMs);

        [LoggerMessage(EventId = 7111, Level = LogLevel.Error, Message = "Installing the snapshot up to index {Index} failed; it is not applied, and the leader sends it again")]
        public static partial void Failed(ILogger logger, long index, Exception exception);
    }
}
