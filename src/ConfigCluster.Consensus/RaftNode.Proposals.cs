using ConfigCluster.Core.Commands;
using DotNext.Net.Cluster.Consensus.Raft;

namespace ConfigCluster.Consensus;

public sealed partial class RaftNode
{
    // Commands packed into one log entry at most, and entries being replicated at once. While
    // the entries in flight wait for their commit (and sync), new proposals queue up and go
    // out together in the next entry: one append, one replication round, one sync for all.
    private const int MaxCommandsPerEntry = 256;
    private const int MaxEntriesInFlight = 4;

    private readonly Lock proposalGate = new();
    private readonly Queue<PendingProposal> pendingProposals = new();
    private int entriesInFlight;

    /// <summary>
    /// Appends <paramref name="command"/> on this node (it must be the leader), packed with the
    /// commands proposed meanwhile into one log entry, and returns its result once the entry is
    /// committed by a majority, applied here and, with <see cref="DurabilityMode.Fsync"/>,
    /// synced to this node's disk (the followers that made up the majority synced it before
    /// acknowledging it, see <see cref="DurableWriteAheadLog"/>).
    /// </summary>
    /// <returns>
    /// <see cref="ProposeStatus.NotLeader"/> when nothing was appended; <see cref="ProposeStatus.Ambiguous"/>
    /// when the caller gave up or leadership was lost after the append.
    /// </returns>
    public async Task<ProposeOutcome> ProposeAsync(Command command, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (!IsLeader)
            return ProposeOutcome.NotLeader;
        if (await GateFormatAsync(command, token).ConfigureAwait(false) is { } refused)
            return refused;

        var proposal = new PendingProposal(command, token);
        Enqueue([proposal]);
        try
        {
            return await proposal.Task.WaitAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // It may already be in an entry on its way to the followers.
            return ProposeOutcome.Ambiguous;
        }
    }

    /// <summary>
    /// <see cref="ProposeAsync"/> for several commands at once (a follower's forwarded batch):
    /// they are queued together, so they go out in as few entries as possible. One outcome per
    /// command, in order.
    /// </summary>
    public async Task<ProposeOutcome[]> ProposeAllAsync(IReadOnlyList<Command> commands, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var outcomes = new ProposeOutcome[commands.Count];
        if (!IsLeader)
        {
            Array.Fill(outcomes, ProposeOutcome.NotLeader);
            return outcomes;
        }

        var proposals = new List<PendingProposal>(commands.Count);
        var indexes = new List<int>(commands.Count);
        for (var i = 0; i < commands.Count; i++)
        {
            if (await GateFormatAsync(commands[i], token).ConfigureAwait(false) is { } refused)
            {
                outcomes[i] = refused;
                continue;
            }

            proposals.Add(new PendingProposal(commands[i], token));
            indexes.Add(i);
        }

        Enqueue(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(proposals));
        for (var p = 0; p < proposals.Count; p++)
        {
            var i = indexes[p];
            try
            {
                outcomes[i] = await proposals[p].Task.WaitAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                outcomes[i] = ProposeOutcome.Ambiguous;
            }
        }

        return outcomes;
    }

    private void Enqueue(ReadOnlySpan<PendingProposal> proposals)
    {
        bool startDrain;
        lock (proposalGate)
        {
            foreach (var proposal in proposals)
                pendingProposals.Enqueue(proposal);
            startDrain = entriesInFlight < MaxEntriesInFlight;
            if (startDrain)
                entriesInFlight++;
        }

        if (startDrain)
            _ = Task.Run(DrainProposalsAsync, CancellationToken.None);
    }

    private async Task DrainProposalsAsync()
    {
        var batch = new List<PendingProposal>(MaxCommandsPerEntry);
        var commands = new List<Command>(MaxCommandsPerEntry);
        while (true)
        {
            batch.Clear();
            commands.Clear();
            lock (proposalGate)
            {
                while (batch.Count < MaxCommandsPerEntry && pendingProposals.TryDequeue(out var next))
                {
                    // Its caller has already been told "ambiguous"; never proposing it keeps that true.
                    if (next.Token.IsCancellationRequested)
                    {
                        next.TrySetResult(ProposeOutcome.Ambiguous);
                        continue;
                    }

                    batch.Add(next);
                    commands.Add(next.Command);
                }

                if (batch.Count == 0)
                {
                    entriesInFlight--;
                    return;
                }
            }

            var context = new ProposalContext(batch.Count);
            var status = await ReplicateBatchAsync(EntryPayload.Encode(commands), context).ConfigureAwait(false);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].TrySetResult(status == ProposeStatus.Applied
                    ? context.Results[i] is { } result ? new ProposeOutcome(ProposeStatus.Applied, result) : ProposeOutcome.Ambiguous
                    : new ProposeOutcome(status, null));
            }
        }
    }

    private async Task<ProposeStatus> ReplicateBatchAsync(byte[] payload, ProposalContext context)
    {
        var term = Volatile.Read(ref leadershipTerm);
        if (!IsLeader || term < 0)
            return ProposeStatus.NotLeader;
        context.Term = term;

        // Bounded by leadership (lost: DotNext cancels it) and by the request timeout, not by one
        // caller's deadline: the entry carries other callers' commands too.
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cluster.LeadershipToken);
        bound.CancelAfter(options.RequestTimeout);
        try
        {
            // Stamped with the term this node leads in (DotNext's helper stamps the log's current term,
            // which a newer leader's message raises before this node leaves its leader state: an entry
            // appended then would carry the newer leader's term at an index where that leader has
            // another entry, the followers' consistency check could not tell them apart, and this
            // node would apply its own entry as committed). The WAL refuses the entry if the log's
            // term has moved on (DurableWriteAheadLog.AppendAsync).
            await cluster.ReplicateAsync(new BinaryLogEntry { Content = payload, Term = term, Context = context }, bound.Token).ConfigureAwait(false);
            // The followers that made up the majority synced it before acknowledging it; now this
            // node's copy (one wait covers every entry the flusher wrote meanwhile).
            if (options.Durability == DurabilityMode.Fsync)
                await wal.WaitDurableAsync(context.Index > 0 ? context.Index : wal.LastEntryIndex, bound.Token).ConfigureAwait(false);

            return ProposeStatus.Applied;
        }
        catch (StaleLeadershipException)
        {
            // Refused before the append: this node's term had already moved past its leadership.
            return ProposeStatus.NotLeader;
        }
        catch (NotLeaderException e) when (e.InnerException is null)
        {
            // Thrown before the append: leadership had already moved.
            return ProposeStatus.NotLeader;
        }
        catch (Exception e) when (e is NotLeaderException or OperationCanceledException or QuorumUnreachableException or TimeoutException or ObjectDisposedException)
        {
            Log.ProposalAmbiguous(logger, e.GetType().Name);
            return ProposeStatus.Ambiguous;
        }
    }

    private sealed class PendingProposal(Command command, CancellationToken token)
        : TaskCompletionSource<ProposeOutcome>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public Command Command { get; } = command;

        public CancellationToken Token { get; } = token;
    }
}
