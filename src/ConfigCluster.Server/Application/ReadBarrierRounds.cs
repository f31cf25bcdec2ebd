using ConfigCluster.Consensus;

namespace ConfigCluster.Server.Application;

/// <summary>
/// Shares read barrier rounds among concurrent reads, as etcd batches ReadIndex requests: one
/// round (on a follower, one request to the leader for its commit index; on the leader, one
/// heartbeat round) serves every read that joined it, instead of one round per read.
/// </summary>
/// <remarks>
/// The rule that keeps reads linearizable: a read is answered only by a round that began after
/// the read arrived. A read that arrives while no round is in flight starts one; a read that
/// arrives while a round is in flight does not join that round (it may have taken the commit
/// index before the read arrived) but waits for the next one, which starts as soon as the one in
/// flight ends and serves every read that arrived meanwhile.
/// </remarks>
public sealed class ReadBarrierRounds(Func<ValueTask<ReadBarrierOutcome>> round)
{
    private readonly Lock gate = new();
    private bool inFlight;
    private TaskCompletionSource<ReadBarrierOutcome>? next;

    /// <summary>How many rounds have begun (for tests and metrics).</summary>
    public long RoundsStarted => Interlocked.Read(ref roundsStarted);

    private long roundsStarted;

    /// <summary>
    /// The outcome of a round that begins after this call: the one started now when none is in
    /// flight, else the next one. Never completes on the caller's stack.
    /// </summary>
    public Task<ReadBarrierOutcome> JoinAsync()
    {
        TaskCompletionSource<ReadBarrierOutcome> first;
        lock (gate)
        {
            if (inFlight)
            {
                next ??= new TaskCompletionSource<ReadBarrierOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
                return next.Task;
            }

            inFlight = true;
            first = new TaskCompletionSource<ReadBarrierOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        // The rounds belong to no request: they must not carry the first reader's async locals
        // (its caller identity, its HttpContext) through every round that follows.
        using (ExecutionContext.SuppressFlow())
            _ = RunAsync(first);
        return first.Task;
    }

    // Runs rounds back to back while reads keep arriving during them; each round's outcome goes to
    // the reads that were waiting when it began.
    private async Task RunAsync(TaskCompletionSource<ReadBarrierOutcome> waiting)
    {
        while (true)
        {
            Interlocked.Increment(ref roundsStarted);
            try
            {
                waiting.TrySetResult(await round().ConfigureAwait(false));
            }
            catch (Exception e)
            {
                // Whatever failed this round fails its reads, not later ones: the loop goes on.
                waiting.TrySetException(e);
            }

            lock (gate)
            {
                if (next is null)
                {
                    inFlight = false;
                    return;
                }

                waiting = next;
                next = null;
            }
        }
    }
}
