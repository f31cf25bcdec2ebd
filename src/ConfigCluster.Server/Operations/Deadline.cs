namespace ConfigCluster.Server.Operations;

/// <summary>
/// A caller's token combined with a timeout measured on a <see cref="TimeProvider"/> (what
/// <c>CreateLinkedTokenSource</c> plus <c>CancelAfter</c> does on the system clock).
/// </summary>
public sealed class Deadline : IDisposable
{
    private readonly CancellationTokenSource timeout;
    private readonly CancellationTokenSource linked;

    private Deadline(TimeProvider time, TimeSpan after, CancellationToken token)
    {
        timeout = new CancellationTokenSource(after, time);
        linked = CancellationTokenSource.CreateLinkedTokenSource(token, timeout.Token);
    }

    /// <summary>Fires when <paramref name="token"/> does or once <paramref name="after"/> has passed on <paramref name="time"/>; dispose the result.</summary>
    public static Deadline After(TimeProvider time, TimeSpan after, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(time);
        return new Deadline(time, after, token);
    }

    /// <summary>Fires at the deadline or when the caller's token does.</summary>
    public CancellationToken Token => linked.Token;

    /// <inheritdoc/>
    public void Dispose()
    {
        linked.Dispose();
        timeout.Dispose();
    }
}
