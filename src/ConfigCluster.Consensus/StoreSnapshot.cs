using ConfigCluster.Storage;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace ConfigCluster.Consensus;

/// <summary>
/// A store checkpoint offered to the WAL as the Raft snapshot. The first send writes the
/// checkpointed records to a file (the FASTER scan is synchronous, so on a thread of its own) and
/// streams it; later sends stream the same file. A send has to fit in one peer call (2 s): when
/// the scan alone ate most of it, the leader's next attempt then only has to move the bytes.
/// The file goes when the state machine stops offering the snapshot (<see cref="Discard"/>).
/// </summary>
internal sealed class StoreSnapshot(IVersionedStore store, StoreCheckpoint checkpoint, string tempDirectory) : ISnapshot
{
    private readonly SemaphoreSlim writing = new(1, 1);
    private readonly Lock state = new();
    private string? file;
    private bool discarded;

    public long Index => checkpoint.Index;

    public long Term => checkpoint.Term;

    public StoreCheckpoint Checkpoint => checkpoint;

    long? IDataTransferObject.Length => null;

    bool IDataTransferObject.IsReusable => true;

    public async ValueTask WriteToAsync<TWriter>(TWriter writer, CancellationToken token)
        where TWriter : IAsyncBinaryWriter
    {
        var (path, keep) = await FileAsync(token).ConfigureAwait(false);
        try
        {
            // FileShare.Delete: a discard while this send runs removes the name, not the bytes being read.
            await using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
            await writer.CopyFromAsync(input, count: null, token).ConfigureAwait(false);
        }
        finally
        {
            if (!keep)
                File.Delete(path);
        }
    }

    /// <summary>No longer offered: its file (if a send wrote one) is deleted; a send still under way finishes.</summary>
    public void Discard()
    {
        string? path;
        lock (state)
        {
            discarded = true;
            (path, file) = (file, null);
        }

        if (path is not null)
            File.Delete(path);
    }

    // The file to stream, and whether it stays for later sends (not once discarded).
    private async Task<(string Path, bool Keep)> FileAsync(CancellationToken token)
    {
        await writing.WaitAsync(token).ConfigureAwait(false);
        try
        {
            lock (state)
            {
                if (file is not null)
                    return (file, true);
            }

            var path = Path.Combine(tempDirectory, $"outgoing-{checkpoint.Index}-{Guid.NewGuid():N}.snap");
            try
            {
                await Task.Factory.StartNew(() =>
                {
                    using var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
                    store.WriteSnapshot(checkpoint, output);
                }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                File.Delete(path);
                if (e is InvalidOperationException)
                    ConsensusMeters.SnapshotSendsSuperseded.Add(1);
                throw;
            }

            lock (state)
            {
                if (discarded)
                    return (path, false);
                file = path;
                return (path, true);
            }
        }
        finally
        {
            writing.Release();
        }
    }
}
