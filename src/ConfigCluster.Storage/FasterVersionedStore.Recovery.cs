using System.Buffers.Binary;
using ConfigCluster.Storage.Records;
using ConfigCluster.Storage.Snapshots;

namespace ConfigCluster.Storage;

public sealed partial class FasterVersionedStore
{
    private const string StartupImageFile = "startup.img";

    private long recoveryScannedRecords;
    private int recoveryUsedImage;

    /// <summary>
    /// Log records the last load of the store's state scanned (at open or after a snapshot
    /// install). With a start-up image only the records after the image's address are scanned, so
    /// this stays bounded by what was written since the last checkpoint, not by the whole history.
    /// </summary>
    public long RecoveryScannedRecords => Interlocked.Read(ref recoveryScannedRecords);

    /// <summary>Whether the last load started from a start-up image rather than a full scan of the log.</summary>
    public bool RecoveryUsedImage => Volatile.Read(ref recoveryUsedImage) != 0;

    private string StartupImagePath(long generation) => Path.Combine(InstanceDirectory(generation), StartupImageFile);

    // Builds the in-memory parts of a generation (key index, hot metadata, remembered request
    // ids): from the start-up image saved with its checkpoint plus a scan of the log after the
    // image's address, or, without a usable image, from a scan of the whole log. Then the
    // counters from its meta record. Runs before the view is published; the counters are
    // published after it (PublishCounters), so that no reader pairs a new count with the old view
    // (a token count from a snapshot over the old, empty token table answered 401).
    private StoreCounters LoadFromInstance(StoreView view)
    {
        var instance = view.Instance;
        ClearRequests();
        Volatile.Write(ref passUntil, 0); // an address of the replaced instance's log
        var image = StartupImage.TryRead(StartupImagePath(view.Generation));
        var from = instance.BeginAddress;
        if (image is not null && image.BeginAddress == instance.BeginAddress && image.LogAddress >= from && image.LogAddress <= instance.TailAddress)
        {
            foreach (var composite in image.Keys)
                view.Index.Add(composite);
            foreach (var (key, value) in image.Records)
                view.Metadata.Observe(key, value);
            foreach (var (id, timestamp, hash) in image.Requests)
                Track(id, timestamp, hash);
            from = image.LogAddress;
            compactionBaseline = image.CompactionBaseline;
        }
        else
        {
            image = null;
            compactionBaseline = 0;
        }

        var scanned = instance.Scan(from, instance.TailAddress, (key, value) =>
        {
            if (RecordKeys.TryParseHead(key, out var composite))
                view.Index.Add(composite);
            else
            {
                view.Metadata.Observe(key, value);
                LoadRequest(key, value);
            }
        });
        Interlocked.Exchange(ref recoveryScannedRecords, scanned);
        Volatile.Write(ref recoveryUsedImage, image is null ? 0 : 1);
        CountKeyIndexMemory(view);

        var meta = instance.ReadForWrite(RecordKeys.Meta) is { } bytes ? StoreMeta.Parser.ParseFrom(bytes) : new StoreMeta();
        StoreFormat.CheckRecords(meta.RecordFormat);
        StoreCheckpoint? recovered = null;
        var applied = meta.AppliedIndex;
        if (instance.RecoveredCookie is { Length: 16 } cookie)
        {
            var cookieIndex = BinaryPrimitives.ReadInt64LittleEndian(cookie);
            var cookieTerm = BinaryPrimitives.ReadInt64LittleEndian(cookie.AsSpan(8));
            applied = Math.Max(applied, cookieIndex);
            recovered = new StoreCheckpoint(cookieIndex, cookieTerm, instance.TailAddress, view.Generation) { BeginAddress = instance.BeginAddress };
        }

        return new StoreCounters(meta, applied, recovered);
    }

    // The state a start-up image saves, taken on the writer thread between two applied commands.
    private StartupImage CaptureStartupImage()
    {
        var view = current;
        var records = view.Metadata.RecordsForImage();
        // The log clock is not a digest record, so the metadata does not keep its bytes.
        if (WriterInstance.ReadForWrite(RecordKeys.LogClock) is { } clock)
            records.Add((RecordKeys.LogClock, clock));
        return new StartupImage
        {
            LogAddress = WriterInstance.TailAddress,
            BeginAddress = WriterInstance.BeginAddress,
            CompactionBaseline = compactionBaseline,
            Keys = view.Index.Snapshot(),
            Records = records,
            Requests = RequestsForImage(),
        };
    }

    // Writes the image of a checkpoint once the checkpoint is complete (an image ahead of the
    // recovered checkpoint would be refused anyway). Best effort: without it start-up scans.
    private async Task SaveStartupImageAsync(StartupImage image, long generation, CancellationToken token)
    {
        var path = StartupImagePath(generation);
        try
        {
            await image.WriteAsync(path, token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // An older image stays valid (start-up scans more after it), unless a compaction moved the begin address since.
            Interlocked.Increment(ref startupImageFailures);
        }
    }

    private long startupImageFailures;

    /// <summary>Start-up images that could not be written (start-up then scans the whole log).</summary>
    public long StartupImageFailures => Interlocked.Read(ref startupImageFailures);
}
