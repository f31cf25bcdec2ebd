using System.Diagnostics.Metrics;

namespace ConfigCluster.Consensus;

/// <summary>
/// Tells a WAL's <see cref="DurableIndexWatcher"/> the moment its background flusher finished a
/// round. DotNext 6.12 records the <c>entries-flush-duration</c> histogram (meter
/// <c>DotNext.IO.WriteAheadLog</c>) in the flusher itself, right after the round's msync and its
/// write-through update of <c>wal/checkpoint</c> returned and before the next round starts. So when
/// the callback runs, the record on disk is exactly what that round wrote and no later write of it
/// is in progress.
/// </summary>
/// <remarks>
/// The measurement carries no tags (6.12 records it without the WAL's <c>MeasurementTags</c>), so
/// the WAL is told apart by its flusher's execution context instead: the WAL constructor starts
/// the flusher as an async method, which keeps the context it was started in for its whole life.
/// <see cref="Route"/> puts the watcher's callback in an <see cref="AsyncLocal{T}"/> around that
/// constructor, so the flusher of that WAL, and nothing else, carries it. A flush of any other WAL
/// in the process (or a foreground flush at dispose) finds no callback and is ignored.
/// </remarks>
internal static class WalFlushEvents
{
    public const string MeterName = "DotNext.IO.WriteAheadLog";
    public const string InstrumentName = "entries-flush-duration";

    private static readonly AsyncLocal<Action?> FlusherCallback = new();
    private static readonly Lazy<MeterListener> Listener = new(Start);

    /// <summary>
    /// While the returned scope is open, a WAL constructed on this thread starts its flusher with
    /// <paramref name="onFlushed"/>, called on that flusher after each of its rounds.
    /// </summary>
    public static Scope Route(Action onFlushed)
    {
        _ = Listener.Value;
        FlusherCallback.Value = onFlushed;
        return default;
    }

    private static MeterListener Start()
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, self) =>
            {
                if (instrument.Meter.Name == MeterName && instrument.Name == InstrumentName)
                    self.EnableMeasurementEvents(instrument);
            },
        };
        listener.SetMeasurementEventCallback<double>(static (_, _, _, _) => FlusherCallback.Value?.Invoke());
        listener.Start();
        return listener;
    }

    /// <summary>Ends <see cref="Route"/>: WALs constructed afterwards on this thread get no callback.</summary>
    public readonly struct Scope : IDisposable
    {
        public void Dispose() => FlusherCallback.Value = null;
    }
}
