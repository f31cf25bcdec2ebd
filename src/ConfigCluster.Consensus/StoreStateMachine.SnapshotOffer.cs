namespace ConfigCluster.Consensus;

/// <summary>
/// Moving the offered snapshot forward on demand. The state machine offers the checkpoint before
/// the newest, so one interval of log stays for slow followers; a member that keeps refusing the
/// offered snapshot because it already committed past it (DotNext 6.12's lost-install-answer loop,
/// see <c>StoreStateMachine.SnapshotInstall.cs</c>) needs a newer one instead.
/// </summary>
public sealed partial class StoreStateMachine
{
    /// <summary>Raft index of the snapshot offered to members that need one (0 when none).</summary>
    public long OfferedSnapshotIndex => offered?.Index ?? 0;

    /// <summary>
    /// Offers a snapshot above <paramref name="above"/>: the newest checkpoint if it is above it,
    /// else a checkpoint taken now, between two applied entries. False (nothing changed) when this
    /// node has applied nothing above <paramref name="above"/> yet.
    /// </summary>
    public async Task<bool> OfferSnapshotAboveAsync(long above, CancellationToken token)
    {
        await applyGate.WaitAsync(token).ConfigureAwait(false);
        try
        {
            if (offered is { } current && current.Index > above)
                return true;
            if (store.AppliedIndex <= above)
                return false;
            if (newest is null || newest.Index <= above)
                await CheckpointAsync(token).ConfigureAwait(false);

            var wasOffered = offered;
            offered = newest;
            Retire(wasOffered, null);
            return true;
        }
        finally
        {
            applyGate.Release();
        }
    }
}
