using System.Collections.Concurrent;

namespace ConfigCluster.Storage;

/// <summary>
/// The store's single writer runs here, on a dedicated thread rather than the thread pool.
/// FASTER's write side has waits with no asynchronous form: a read of an evicted head goes
/// pending and is completed synchronously, and an append that needs a new tail page waits for
/// the oldest page to be flushed and evicted. On a dedicated thread those waits stall only the
/// (serial, single-writer) apply, never the pool that serves requests and completes the I/O.
/// </summary>
/// <remarks>
/// The thread sleeps on an event that never spins (a <see cref="BlockingCollection{T}"/> spins its
/// semaphore before it sleeps, and on two busy cores each hand-off's spin took CPU from the
/// requests): hand-offs come once per log entry, and a wake-up costs less than the spin.
/// </remarks>
internal sealed class StoreWriterThread : IDisposable
{
    private readonly ConcurrentQueue<IWork> queue = new();
    private readonly ManualResetEventSlim wake = new(false, spinCount: 0);
    private readonly Thread thread;
    private readonly Lock gate = new();
    private volatile bool closed;

    public StoreWriterThread(string name)
    {
        thread = new Thread(Run) { IsBackground = true, Name = name };
        thread.Start();
    }

    /// <summary>True when called from the writer thread itself.</summary>
    public bool IsCurrent => Environment.CurrentManagedThreadId == thread.ManagedThreadId;

    /// <summary>Runs <paramref name="work"/> on the writer thread; completes with its result.</summary>
    public Task<T> RunAsync<T>(Func<T> work)
    {
        if (IsCurrent)
            return Task.FromResult(work());
        var item = new Work<T>(work);
        // Under the gate, so nothing is queued once Dispose has closed the queue: the thread runs
        // everything queued before, then stops.
        lock (gate)
        {
            if (closed)
                return Task.FromException<T>(new ObjectDisposedException("the store is closed"));
            queue.Enqueue(item);
        }

        wake.Set();
        return item.Completion.Task;
    }

    private void Run()
    {
        while (true)
        {
            while (queue.TryDequeue(out var work))
                work.Execute();
            if (closed && queue.IsEmpty)
                return;
            // Reset before the last look: an item queued after it sets the event again.
            wake.Reset();
            if (queue.IsEmpty && !closed)
                wake.Wait();
        }
    }

    /// <summary>Finishes the queued work and stops the thread.</summary>
    public void Dispose()
    {
        lock (gate)
            closed = true;
        wake.Set();
        if (!IsCurrent)
            thread.Join();
        // The event is not disposed: a late RunAsync may still set it (it holds no kernel handle).
    }

    private interface IWork
    {
        void Execute();
    }

    private sealed class Work<T>(Func<T> work) : IWork
    {
        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Execute()
        {
            try
            {
                Completion.TrySetResult(work());
            }
            catch (Exception e)
            {
                Completion.TrySetException(e);
            }
        }
    }
}
