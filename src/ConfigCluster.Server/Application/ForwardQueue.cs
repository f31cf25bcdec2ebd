using ConfigCluster.Consensus;

namespace ConfigCluster.Server.Application;

/// <summary>A client write waiting to be forwarded to the leader at <see cref="Url"/>; completed with its outcome.</summary>
internal sealed class ForwardedWrite(string url, byte[] encoded, long notAfterUnixMs)
    : TaskCompletionSource<ProposeOutcome>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    public string Url { get; } = url;

    /// <summary>The command, encoded once by the accepting node.</summary>
    public byte[] Encoded { get; } = encoded;

    public long NotAfterUnixMs { get; } = notAfterUnixMs;
}

/// <summary>
/// Coalesces a follower's concurrent forwarded writes: while up to <see cref="MaxCallsInFlight"/>
/// calls to the leader are out, new writes queue up and go together in the next call, so a busy
/// follower makes a few calls carrying many writes instead of one call per write.
/// </summary>
internal sealed class ForwardQueue(Func<string, List<ForwardedWrite>, Task> send)
{
    public const int MaxWritesPerCall = 256;
    public const int MaxCallsInFlight = 4;

    private readonly Lock gate = new();
    private readonly List<ForwardedWrite> pending = [];
    private int callsInFlight;

    /// <summary>Queues <paramref name="write"/>; the send function given at construction completes it.</summary>
    public void Add(ForwardedWrite write)
    {
        bool startCall;
        lock (gate)
        {
            pending.Add(write);
            startCall = callsInFlight < MaxCallsInFlight;
            if (startCall)
                callsInFlight++;
        }

        if (startCall)
            _ = Task.Run(DrainAsync, CancellationToken.None);
    }

    private async Task DrainAsync()
    {
        var batch = new List<ForwardedWrite>(MaxWritesPerCall);
        while (true)
        {
            string url;
            lock (gate)
            {
                if (pending.Count == 0)
                {
                    callsInFlight--;
                    return;
                }

                // The oldest write's leader, and every write queued for that leader (usually all).
                url = pending[0].Url;
                batch.Clear();
                for (var i = 0; i < pending.Count && batch.Count < MaxWritesPerCall; i++)
                {
                    if (pending[i].Url == url)
                        batch.Add(pending[i]);
                }

                if (batch.Count == pending.Count)
                    pending.Clear();
                else
                    pending.RemoveAll(batch.Contains);
            }

            try
            {
                await send(url, batch);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // send maps the call's failures to outcomes; anything else leaves them unknown.
                foreach (var write in batch)
                    write.TrySetResult(ProposeOutcome.Ambiguous);
            }
        }
    }
}
