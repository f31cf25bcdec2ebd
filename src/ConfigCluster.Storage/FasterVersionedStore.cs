using System.Buffers.Binary;
using ConfigCluster.Core.Keys;
using ConfigCluster.Storage.Faster;
using ConfigCluster.Storage.Records;
using Google.Protobuf;

namespace ConfigCluster.Storage;

/// <summary>
/// The versioned store kept in FASTER. Records: one <see cref="KeyHead"/> per key, one
/// <see cref="VersionRecord"/> per version, one <see cref="StoreMeta"/>. A checkpoint carries the
/// Raft index and term in FASTER's commit cookie, so a restart resumes exactly where the last
/// checkpoint stood and the WAL replays the rest.
/// </summary>
public sealed partial class FasterVersionedStore : IVersionedStore
{
    private const string InstanceDirectoryPrefix = "faster-";

    private readonly StoreOptions options;
    private readonly StoreWriterThread writer;
    // The current generation; readers take a reference (AcquireView), the writer uses it directly.
    private StoreView current;
    private long revision;
    private long appliedIndex;
    private long appliedTerm;
    private int disposed;

    private FasterVersionedStore(StoreOptions options)
    {
        this.options = options;
        Directory.CreateDirectory(options.Directory);
        var generation = FindCurrentGeneration(options.Directory);
        current = new StoreView(FasterInstance.Open(options, InstanceDirectory(generation)), generation);
        RemoveOtherGenerations();
        PublishCounters(LoadFromInstance(current));
        writer = new StoreWriterThread("store-writer");
    }

    /// <summary>Opens the store in <see cref="StoreOptions.Directory"/>, recovering the latest checkpoint.</summary>
    public static FasterVersionedStore Open(StoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Directory);
        StoreSizing.For(options); // validates the memory budget with a clear message before anything is opened
        return new FasterVersionedStore(options);
    }

    /// <inheritdoc/>
    public long Revision => Volatile.Read(ref revision);

    /// <inheritdoc/>
    public long AppliedIndex => Volatile.Read(ref appliedIndex);

    /// <inheritdoc/>
    public long OldestRevision => Volatile.Read(ref compactedRevision) + 1;

    /// <inheritdoc/>
    public StoreCheckpoint? RecoveredCheckpoint { get; private set; }

    /// <summary>Size of the FASTER log in bytes (its tail address): every record version written, superseded ones included.</summary>
    public long LogBytes => Volatile.Read(ref current).Instance.TailAddress;

    /// <summary>Number of keys (live or deleted) the store holds.</summary>
    public int KeyCount => Volatile.Read(ref current).Index.Count;

    // The instance the single writer uses. Only the writer swaps generations, so it needs no reference.
    private FasterInstance WriterInstance => current.Instance;

    // A reader's reference to the current generation, safe to hold across awaits.
    private ViewLease AcquireView()
    {
        while (true)
        {
            var view = Volatile.Read(ref current);
            if (view.TryAcquire())
                return new ViewLease(view);
            ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        }
    }

    private string InstanceDirectory(long gen) => Path.Combine(options.Directory, InstanceDirectoryPrefix + gen.ToString(System.Globalization.CultureInfo.InvariantCulture));

    // Each snapshot install builds a new FASTER instance in a new directory ("generation") and
    // only then drops the old one, so a crash mid-install leaves the previous state intact.
    private static long FindCurrentGeneration(string directory)
    {
        var marker = Path.Combine(directory, "CURRENT");
        return File.Exists(marker) && long.TryParse(File.ReadAllText(marker).Trim(), out var gen) ? gen : 0;
    }

    private void WriteCurrentGeneration(long gen)
    {
        var marker = Path.Combine(options.Directory, "CURRENT");
        var temp = marker + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            stream.Write(System.Text.Encoding.ASCII.GetBytes(gen.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, marker, overwrite: true);
    }

    private void RemoveOtherGenerations()
    {
        var keep = Path.GetFileName(InstanceDirectory(current.Generation));
        foreach (var dir in Directory.EnumerateDirectories(options.Directory, InstanceDirectoryPrefix + "*"))
        {
            if (!string.Equals(Path.GetFileName(dir), keep, StringComparison.Ordinal))
                Directory.Delete(dir, recursive: true);
        }
    }

    // Makes a loaded generation's counters the store's; call once its view is current.
    private void PublishCounters(StoreCounters counters)
    {
        var meta = counters.Meta;
        Volatile.Write(ref revision, meta.Revision);
        Volatile.Write(ref appliedIndex, counters.AppliedIndex);
        Volatile.Write(ref appliedTerm, meta.AppliedTerm);
        Volatile.Write(ref dataKeyCount, meta.DataKeyCount);
        Volatile.Write(ref tokenCount, meta.TokenCount);
        Volatile.Write(ref compactedRevision, meta.CompactedRevision);
        changesDroppedThrough = meta.ChangesDroppedThrough;
        RecoveredCheckpoint = counters.Recovered;
    }

    private readonly record struct StoreCounters(StoreMeta Meta, long AppliedIndex, StoreCheckpoint? Recovered);

    private static byte[] Cookie(long raftIndex, long raftTerm)
    {
        var cookie = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(cookie, raftIndex);
        BinaryPrimitives.WriteInt64LittleEndian(cookie.AsSpan(8), raftTerm);
        return cookie;
    }

    /// <inheritdoc/>
    public async ValueTask<StoreCheckpoint> CheckpointAsync(CancellationToken token)
    {
        var (raftIndex, raftTerm, atRevision) = (appliedIndex, appliedTerm, revision);
        var image = await writer.RunAsync(PrepareCheckpoint).ConfigureAwait(false);
        var view = current;
        var tail = await view.Instance.CheckpointAsync(Cookie(raftIndex, raftTerm), token).ConfigureAwait(false);
        await SaveStartupImageAsync(image, view.Generation, token).ConfigureAwait(false);
        return new StoreCheckpoint(raftIndex, raftTerm, tail, view.Generation, atRevision) { BeginAddress = image.BeginAddress };
    }

    private bool WriteMeta()
    {
        WriterInstance.Upsert(RecordKeys.Meta, new StoreMeta { Revision = revision, AppliedIndex = appliedIndex, AppliedTerm = appliedTerm, DataKeyCount = dataKeyCount, TokenCount = tokenCount, CompactedRevision = compactedRevision, ChangesDroppedThrough = changesDroppedThrough, RecordFormat = StoreFormat.Records }.ToByteArray());
        return true;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
            return;
        writer.Dispose();
        // Readers still holding the view finish first; the last one disposes the instance.
        _ = current.RetireAsync();
    }
}
