using ConfigCluster.Storage.Faster;

namespace ConfigCluster.Storage;

/// <summary>
/// One generation of the store's state: the FASTER instance with the key index and hot metadata
/// built from it. Reference-counted so a reader can hold it across awaits (a lock could not be):
/// a snapshot install publishes a new view and retires the old one, whose instance is disposed
/// when its last reader lets go.
/// </summary>
internal sealed class StoreView
{
    private readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int references = 1; // the store's own reference, dropped by Retire

    public StoreView(FasterInstance instance, long generation)
    {
        Instance = instance;
        Generation = generation;
    }

    /// <summary>The FASTER instance of this generation.</summary>
    public FasterInstance Instance { get; }

    /// <summary>The generation number (its directory's suffix).</summary>
    public long Generation { get; }

    /// <summary>Every key the instance holds, ordered.</summary>
    public KeyIndex Index { get; } = new();

    /// <summary>The instance's metadata, in memory.</summary>
    public HotMetadata Metadata { get; } = new();

    /// <summary>Takes a reference; false once the view was retired and released.</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            var current = Volatile.Read(ref references);
            if (current == 0)
                return false;
            if (Interlocked.CompareExchange(ref references, current + 1, current) == current)
                return true;
        }
    }

    /// <summary>Drops a reference; the last one disposes the instance.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref references) != 0)
            return;
        try
        {
            Instance.Dispose();
        }
        finally
        {
            released.TrySetResult();
        }
    }

    /// <summary>Drops the store's reference; completes once every reader has let go and the instance is disposed.</summary>
    public Task RetireAsync()
    {
        Release();
        return released.Task;
    }
}

/// <summary>A reader's reference to a <see cref="StoreView"/>; dispose it to let go.</summary>
internal readonly struct ViewLease(StoreView view) : IDisposable
{
    /// <summary>The view held.</summary>
    public StoreView View { get; } = view;

    /// <inheritdoc/>
    public void Dispose() => View.Release();
}
