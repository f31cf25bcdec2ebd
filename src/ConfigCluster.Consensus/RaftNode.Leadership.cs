namespace ConfigCluster.Consensus;

public sealed partial class RaftNode
{
    private CancellationTokenSource? holdLease;

    /// <summary>True while this member stands aside from elections (see <see cref="HoldAsync"/>).</summary>
    public bool IsHeld => cluster.Standby;

    /// <summary>
    /// Stops this member from standing for election (DotNext's standby mode: it still replicates
    /// and votes), stepping down first when <paramref name="resign"/> is set and it leads. The
    /// hold ends by itself after <paramref name="lease"/>, so a transfer that dies half-way
    /// cannot leave members unable to lead. Returns whether the member now stands aside.
    /// </summary>
    public async Task<bool> HoldAsync(bool resign, TimeSpan lease, CancellationToken token)
    {
        if (resign && IsLeader)
            await ((DotNext.Net.Cluster.ICluster)cluster).ResignAsync(token).ConfigureAwait(false);

        // Standby can only be entered from the follower state: right after a resignation the
        // member may still be settling, so try for a short while.
        var held = false;
        for (var attempt = 0; attempt < 50 && !held; attempt++)
        {
            held = cluster.Standby || await cluster.EnableStandbyModeAsync(token).ConfigureAwait(false);
            if (!held)
                await Task.Delay(TimeSpan.FromMilliseconds(10), token).ConfigureAwait(false);
        }

        if (held)
        {
            var renewed = new CancellationTokenSource();
            Interlocked.Exchange(ref holdLease, renewed)?.Cancel();
            _ = EndHoldAfterAsync(lease, renewed.Token);
        }

        return held;
    }

    /// <summary>Ends a hold: this member stands for election again.</summary>
    public async Task<bool> ReleaseAsync(CancellationToken token)
    {
        Interlocked.Exchange(ref holdLease, null)?.Cancel();
        return !cluster.Standby || await cluster.RevertToNormalModeAsync(token).ConfigureAwait(false);
    }

    private async Task EndHoldAfterAsync(TimeSpan lease, CancellationToken renewed)
    {
        try
        {
            await Task.Delay(lease, renewed).ConfigureAwait(false);
            await ReleaseAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Renewed or released early.
        }
        catch (ObjectDisposedException)
        {
            // The node is shutting down.
        }
    }
}
