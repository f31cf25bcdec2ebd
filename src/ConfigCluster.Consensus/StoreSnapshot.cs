using ConfigCluster.Storage;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace ConfigCluster.Consensus;

/// <summary>
/// A store checkpoint offered to the WAL as the Raft snapshot. Sending it writes the
/// checkpointed records to a temporary file (the FASTER scan is synchronous) and streams that.
/// </summary>
internal sealed class StoreSnapshot(IVersionedStore store, StoreCheckpoint checkpoint, string tempDirectory) : ISnapshot
{
    public long Index => checkpoint.Index;

    public long Term => checkpoint.Term;

    public StoreCheckpoint Checkpoint => checkpoint;

    long? IDataTransferObject.Length => null;

    bool IDataTransferObject.IsReusable => true;

    public async ValueTask WriteToAsync<TWriter>(TWriter writer, CancellationToken token)
        where TWriter : IAsyncBinaryWriter
    {
        var file = Path.Combine(tempDirectory, $"outgoing-{Guid.NewGuid():N}.snap");
        try
        {
            await using (var output = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                store.WriteSnapshot(checkpoint, output);
            }

            await using var input = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
            await writer.CopyFromAsync(input, count: null, token).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
