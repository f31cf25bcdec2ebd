using System.Collections.Concurrent;

namespace ConfigCluster.Storage;

/// <summary>
/// The store's single writer runs here, on a dedicated thread rather than the thread pool.
/// FASTER's write side has waits with no asynchronous form: a read of an evicted head goes
/// pending and is completed synchronously, and an append that needs a new tail page waits for
/// the oldest page to be flushed and evicted. On a dedicated thread those waits stall only the
/// (serial, single-writer) apply, never the pool that serves requests and completes the I/O.
/// </summary>
internal sealed class StoreWriterThread : IDisposable
{
    private readonly BlockingCollection<IWork> queue = [];
    private readonly Thread thread;

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
        try
        {
            queue.Add(item);
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            return Task.FromException<T>(new ObjectDisposedException("the store is closed", e));
        }

        return item.Completion.Task;
    }

    private void Run()
    {
        foreach (var work in queue.GetConsumingEnumerable())
            work.Execute();
    }

    /// <summary>Finishes the queued work and stops the thread.</summary>
    public void Dispose()
    {
        queue.CompleteAdding();
        if (!IsCurrent)
            thread.Join();
        queue.Dispose();
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
