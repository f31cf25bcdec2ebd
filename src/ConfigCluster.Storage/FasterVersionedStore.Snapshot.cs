using System.Security.Cryptography;
using ConfigCluster.Storage.Faster;
using ConfigCluster.Storage.Records;
using ConfigCluster.Storage.Snapshots;

namespace ConfigCluster.Storage;

public sealed partial class FasterVersionedStore
{
    /// <inheritdoc/>
    public void WriteSnapshot(StoreCheckpoint checkpoint, Stream destination)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(destination);
        using var lease = AcquireView();
        if (checkpoint.Generation != lease.View.Generation)
            throw new InvalidOperationException("the checkpoint belongs to a store state that was replaced by a snapshot install");

        // Records below the checkpoint's tail are immutable after a fold-over checkpoint, so
        // scanning them while apply continues yields exactly the checkpointed state, unless a
        // compaction moved the begin address since (then the state is no longer below that tail).
        if (!TryEnterScan())
            throw new InvalidOperationException("the store is compacting its log; the checkpoint is being superseded");
        try
        {
            if (lease.View.Instance.BeginAddress != checkpoint.BeginAddress)
                throw new InvalidOperationException("the checkpoint's records were compacted since; a newer checkpoint replaces it");
            SnapshotFormat.Write(destination, checkpoint.Index, checkpoint.Term, sink => lease.View.Instance.Scan(checkpoint.TailAddress, sink));
        }
        finally
        {
            ExitScan();
        }
    }

    /// <inheritdoc/>
    public ValueTask<StoreCheckpoint> InstallSnapshotAsync(string snapshotFile, CancellationToken token)
        => InstallSnapshotAsync(snapshotFile, keepTerm: true, token);

    /// <summary>
    /// Prepares the empty store directory <see cref="StoreOptions.Directory"/> from a backup
    /// (<c>ccctl snapshot restore</c>) for a new cluster: every key, version, token, policy and
    /// keyring entry of the snapshot, checkpointed. The snapshot's Raft index is kept but its term
    /// becomes 0: the new cluster's Raft terms start again from 1, and a log entry must never
    /// carry a lower term than the snapshot before it.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a snapshot or is damaged (checksum).</exception>
    /// <exception cref="IOException">The directory already holds data.</exception>
    public static async Task<(long Index, long Revision, int Keys)> RestoreAsync(string snapshotFile, StoreOptions options, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(options);
        SnapshotFormat.Verify(snapshotFile);
        if (Directory.Exists(options.Directory) && Directory.EnumerateFileSystemEntries(options.Directory).Any())
            throw new IOException($"'{options.Directory}' already holds data; restore needs an empty directory");
        using var store = Open(options);
        var checkpoint = await store.InstallSnapshotAsync(snapshotFile, keepTerm: false, token).ConfigureAwait(false);
        return (checkpoint.Index, store.Revision, store.KeyCount);
    }

    private async ValueTask<StoreCheckpoint> InstallSnapshotAsync(string snapshotFile, bool keepTerm, CancellationToken token)
    {
        var (snapshotIndex, fileTerm) = SnapshotFormat.Verify(snapshotFile);
        var snapshotTerm = keepTerm ? fileTerm : 0;

        // Loading the records and rebuilding the in-memory parts read and write FASTER
        // synchronously (a large snapshot spills to disk): the writer thread does it.
        var old = current;
        var fresh = await writer.RunAsync(() => LoadSnapshot(snapshotFile, old.Generation + 1, snapshotIndex, snapshotTerm)).ConfigureAwait(false);
        try
        {
            await fresh.Instance.CheckpointAsync(Cookie(snapshotIndex, snapshotTerm), token).ConfigureAwait(false);
            await writer.RunAsync(() =>
            {
                var counters = LoadFromInstance(fresh);
                WriteCurrentGeneration(fresh.Generation);
                Volatile.Write(ref current, fresh);
                PublishCounters(counters);
                return true;
            }).ConfigureAwait(false);
        }
        catch
        {
            if (!ReferenceEquals(Volatile.Read(ref current), fresh))
                await fresh.RetireAsync().ConfigureAwait(false);
            throw;
        }

        // Readers of the old generation finish first; then its directory can go.
        await old.RetireAsync().ConfigureAwait(false);
        RemoveOtherGenerations();
        return new StoreCheckpoint(snapshotIndex, snapshotTerm, fresh.Instance.TailAddress, fresh.Generation) { BeginAddress = fresh.Instance.BeginAddress };
    }

    private StoreView LoadSnapshot(string snapshotFile, long generation, long snapshotIndex, long snapshotTerm)
    {
        var directory = InstanceDirectory(generation);
        if (Directory.Exists(directory))
            Directory.Delete(directory, recursive: true);
        var fresh = FasterInstance.Open(options, directory);
        try
        {
            SnapshotFormat.Read(snapshotFile, fresh.Upsert);
            var meta = fresh.ReadForWrite(RecordKeys.Meta) is { } bytes ? StoreMeta.Parser.ParseFrom(bytes) : new StoreMeta();
            meta.AppliedIndex = snapshotIndex;
            meta.AppliedTerm = snapshotTerm;
            fresh.Upsert(RecordKeys.Meta, Google.Protobuf.MessageExtensions.ToByteArray(meta));
            return new StoreView(fresh, generation);
        }
        catch
        {
            fresh.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public Task<string> ComputeDigestAsync(CancellationToken token)
        => Task.Factory.StartNew(ComputeDigest, token, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <inheritdoc/>
    public string ComputeDigest()
    {
        EnterScanWaiting();
        try
        {
            return ComputeDigestCore(parts: null);
        }
        finally
        {
            ExitScan();
        }
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> ComputeDigestParts()
    {
        var parts = new SortedDictionary<string, IncrementalHash>(StringComparer.Ordinal);
        EnterScanWaiting();
        try
        {
            var whole = ComputeDigestCore(parts);
            var answer = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["all"] = whole };
            foreach (var (name, hash) in parts)
                answer[name] = Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
            return answer;
        }
        finally
        {
            ExitScan();
            foreach (var hash in parts.Values)
                hash.Dispose();
        }
    }

    // Reads every key's records while no compaction moves them. With parts, also hashes each part
    // alone: "keys", "meta/<tag>" per metadata table (its records' first key byte), "requests".
    private string ComputeDigestCore(SortedDictionary<string, IncrementalHash>? parts)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var part = "keys";
        void Add(ReadOnlySpan<byte> data)
        {
            hash.AppendData(data);
            if (parts is null)
                return;
            if (!parts.TryGetValue(part, out var partHash))
                parts[part] = partHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            partHash.AppendData(data);
        }

        void AddPrefixed(ReadOnlySpan<byte> data)
        {
            Span<byte> length = stackalloc byte[sizeof(int)];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
            Add(length);
            Add(data);
        }

        using var lease = AcquireView();
        var instance = lease.View.Instance;
        foreach (var composite in lease.View.Index.Snapshot())
        {
            var pieces = composite.Split('\0');
            if (!Core.Keys.KeyPath.TryCreate(pieces[0], pieces[1], pieces[2], out var path, out _))
                continue;
            Add(System.Text.Encoding.UTF8.GetBytes(composite));
            if (instance.Read(RecordKeys.Head(path)) is not { } head)
                continue;
            Add(head);
            var latest = KeyHead.Parser.ParseFrom(head).LatestVersion;
            for (var v = 1L; v <= latest; v++)
            {
                if (instance.Read(RecordKeys.Version(path, v)) is { } version)
                    Add(version);
            }
        }

        // Every other replicated table: the metadata records in key order, each length-prefixed
        // so no two different tables can hash the same, then the request table's running sum.
        part = "metadata";
        Add("\0metadata"u8);
        foreach (var (key, value) in lease.View.Metadata.RecordsInKeyOrder())
        {
            part = key.Length > 0 ? $"meta/{(int)key[0]:x2}" : "meta/empty";
            AddPrefixed(System.Text.Encoding.Latin1.GetBytes(key));
            AddPrefixed(value);
        }

        part = "requests";
        Add("\0requests"u8);
        Span<byte> sum = stackalloc byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128LittleEndian(sum, RequestSum);
        Add(sum);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
