using System.Security.Cryptography;
using ConfigCluster.Consensus;
using ConfigCluster.Core.Commands;
using ConfigCluster.Server.Application;
using ConfigCluster.Server.Hosting;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Operations;

/// <summary>A backup written to a temporary file; disposing deletes the file.</summary>
public sealed record BackupFile(string Path, long Revision, long RaftIndex, long Size, string Sha256) : IDisposable
{
    public void Dispose() => File.Delete(Path);
}

/// <summary>
/// Consistent point-in-time backups. A <see cref="CheckpointOp"/> goes through the log, so every
/// node checkpoints its store at the same entry; this node then writes its checkpoint in the
/// snapshot format (records as stored, so secrets stay ciphertext; SHA-256 trailer).
/// </summary>
public sealed class SnapshotBackup(ConfigService config, RaftNode node, IVersionedStore store, NodeSettings settings, TimeProvider time)
{
    public async Task<Outcome<BackupFile>> TakeAsync(CancellationToken token)
    {
        var requestId = "snapshot-" + Guid.NewGuid().ToString("N");
        // Held from before the checkpoint entry until the file is written: a compacting checkpoint
        // meanwhile (the periodic one, or another backup's) would move the records this one streams.
        using var hold = store.HoldCompaction();
        var checkpointed = node.StateMachine.ExpectCheckpoint(requestId);
        try
        {
            var command = config.NewCommand(requestId);
            command.Checkpoint = new CheckpointOp();
            var outcome = await config.SubmitRawAsync(command, token);
            if (outcome.Error is { } error)
                return error;
            if (outcome.Value!.Code != ResultCode.ResultOk)
                return new ConfigError(ConfigErrorCode.Internal, "the checkpoint entry was not applied");

            Storage.StoreCheckpoint checkpoint;
            try
            {
                checkpoint = await checkpointed.WaitAsync(settings.WriteTimeout, time, token);
            }
            catch (TimeoutException)
            {
                return new ConfigError(ConfigErrorCode.Unavailable, "this node has not applied the checkpoint entry yet; try again");
            }

            // The checkpoint follows the whole log entry, which may carry writes batched after
            // the checkpoint command: its revision is the snapshot's, not the command's.
            return await WriteAsync(checkpoint, Math.Max(checkpoint.Revision, outcome.Value.Revision), requestId, token);
        }
        finally
        {
            node.StateMachine.ForgetCheckpoint(requestId);
        }
    }

    /// <summary>
    /// This node's own state as a snapshot, without the log: works without a quorum (disaster
    /// recovery from the one surviving node). It holds what this node applied, marked with that
    /// applied index; entries the cluster committed but this node never received are not in it.
    /// </summary>
    public async Task<Outcome<BackupFile>> TakeLocalAsync(CancellationToken token)
    {
        using var hold = store.HoldCompaction();
        var checkpoint = await node.StateMachine.CheckpointLocalAsync(token);
        return await WriteAsync(checkpoint, checkpoint.Revision, "local-" + Guid.NewGuid().ToString("N"), token);
    }

    private async Task<Outcome<BackupFile>> WriteAsync(Storage.StoreCheckpoint checkpoint, long revision, string name, CancellationToken token)
    {
        var directory = Path.Combine(settings.DataDirectory, "tmp");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"backup-{name}.snap");
        try
        {
            // The scan reads FASTER synchronously (cold records from disk): on its own thread,
            // not a thread-pool one.
            await Task.Factory.StartNew(() =>
            {
                using var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
                store.WriteSnapshot(checkpoint, output);
            }, token, TaskCreationOptions.LongRunning, TaskScheduler.Default);

            byte[] hash;
            await using (var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan))
                hash = await SHA256.HashDataAsync(input, token);
            return new BackupFile(path, revision, checkpoint.Index, new FileInfo(path).Length, Convert.ToHexStringLower(hash));
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }
}
