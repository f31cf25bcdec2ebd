using System.Collections.Concurrent;
using FASTER.core;

namespace ConfigCluster.Storage.Faster;

using Session = ClientSession<SpanByte, SpanByte, SpanByte, SpanByteAndMemory, Empty, SpanByteFunctions<Empty>>;

/// <summary>
/// One open FASTER key/value store over byte keys and values: one session for the single
/// writer (apply), a pool of sessions for concurrent readers, checkpoints and log scans.
/// </summary>
internal sealed partial class FasterInstance : IDisposable
{
    private readonly FasterKV<SpanByte, SpanByte> store;
    private readonly FasterKVSettings<SpanByte, SpanByte> settings;
    private readonly Session writer;
    private readonly ConcurrentBag<Session> readers = [];
    private int disposed;
    private long truncatedUntil;

    private FasterInstance(StoreOptions options, string directory)
    {
        var sizing = StoreSizing.For(options);
        System.IO.Directory.CreateDirectory(directory);
        settings = new FasterKVSettings<SpanByte, SpanByte>
        {
            LogDevice = Devices.CreateLogDevice(Path.Combine(directory, "hlog"), preallocateFile: false),
            CheckpointDir = Path.Combine(directory, "checkpoints"),
            IndexSize = sizing.IndexBytes,
            MemorySize = sizing.MemoryBytes,
            PageSize = sizing.PageBytes,
            SegmentSize = options.SegmentSizeBytes,
            TryRecoverLatest = true,
            RemoveOutdatedCheckpoints = true,
        };
        store = new FasterKV<SpanByte, SpanByte>(settings);
        writer = NewSession();
    }

    /// <summary>Opens (and recovers, when a checkpoint exists) the store in <paramref name="directory"/>.</summary>
    public static FasterInstance Open(StoreOptions options, string directory) => new(options, directory);

    /// <summary>The commit cookie of the checkpoint recovered at open, or null for a fresh store.</summary>
    public byte[]? RecoveredCookie => store.RecoveredCommitCookie;

    /// <summary>The current end of the FASTER log.</summary>
    public long TailAddress => store.Log.TailAddress;

    private Session NewSession() => store.For(new SpanByteFunctions<Empty>()).NewSession<SpanByteFunctions<Empty>>();

    /// <summary>Writes a record. Only the apply path calls this (single writer).</summary>
    public unsafe void Upsert(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        fixed (byte* k = key)
        fixed (byte* v = value)
        {
            var keySpan = SpanByte.FromPointer(k, key.Length);
            var valueSpan = SpanByte.FromPointer(v, value.Length);
            var status = writer.Upsert(ref keySpan, ref valueSpan);
            if (status.IsPending)
                writer.CompletePending(wait: true);
            else if (status.IsFaulted)
                throw new IOException("FASTER upsert failed");
        }
    }

    /// <summary>Reads a record with the writer's session (apply path only).</summary>
    public byte[]? ReadForWrite(ReadOnlySpan<byte> key) => Read(writer, key);

    /// <summary>Reads a record; safe to call from any thread.</summary>
    public byte[]? Read(ReadOnlySpan<byte> key)
    {
        if (!readers.TryTake(out var session))
            session = NewSession();
        try
        {
            return Read(session, key);
        }
        finally
        {
            readers.Add(session);
        }
    }

    private static unsafe byte[]? Read(Session session, ReadOnlySpan<byte> key)
    {
        fixed (byte* k = key)
        {
            var keySpan = SpanByte.FromPointer(k, key.Length);
            var output = default(SpanByteAndMemory);
            var status = session.Read(ref keySpan, ref output);
            if (status.IsPending)
            {
                session.CompletePendingWithOutputs(out var completed, wait: true);
                using (completed)
                {
                    if (!completed.Next())
                        throw new IOException("FASTER read completed without output");
                    status = completed.Current.Status;
                    output = completed.Current.Output;
                }
            }

            if (status.IsFaulted)
                throw new IOException("FASTER read failed");
            if (!status.Found)
            {
                output.Memory?.Dispose();
                return null;
            }

            return TakeBytes(ref output);
        }
    }

    private static byte[] TakeBytes(ref SpanByteAndMemory output)
    {
        if (output.IsSpanByte)
            return output.SpanByte.AsReadOnlySpan().ToArray();
        using var owner = output.Memory;
        return owner.Memory.Span[..output.Length].ToArray();
    }

    /// <summary>
    /// Takes a full fold-over checkpoint carrying <paramref name="cookie"/>; everything below the
    /// returned tail address is immutable from then on.
    /// </summary>
    public async ValueTask<long> CheckpointAsync(byte[] cookie, CancellationToken token)
    {
        store.CommitCookie = cookie;
        var (success, _) = await store.TakeFullCheckpointAsync(CheckpointType.FoldOver, token).ConfigureAwait(false);
        if (!success)
            throw new IOException("FASTER checkpoint could not start");
        // The checkpoint holds the begin address a compaction moved: the segments below it are
        // needed by no recoverable state any more, so they go now.
        if (store.Log.BeginAddress > truncatedUntil)
        {
            store.Log.Truncate();
            truncatedUntil = store.Log.BeginAddress;
        }

        return store.Log.TailAddress;
    }

    /// <summary>
    /// Visits every record in log order from the start of the log up to <paramref name="untilAddress"/>.
    /// Later records for a key supersede earlier ones, so replaying them in order rebuilds the state.
    /// Uses <c>Log.Scan</c>, not <c>Iterate</c> (broken in 2.6.5 after fold-over checkpoints).
    /// </summary>
    public void Scan(long untilAddress, RecordVisitor visitor) => Scan(store.Log.BeginAddress, untilAddress, visitor);

    /// <summary>Visits every record in log order from <paramref name="fromAddress"/> (at least the begin address) up to <paramref name="untilAddress"/>.</summary>
    /// <returns>The number of records visited.</returns>
    public long Scan(long fromAddress, long untilAddress, RecordVisitor visitor)
    {
        long visited = 0;
        using var iterator = store.Log.Scan(Math.Max(fromAddress, store.Log.BeginAddress), untilAddress);
        while (iterator.GetNext(out var info))
        {
            if (info.Tombstone || info.Invalid)
                continue;
            visitor(iterator.GetKey().AsReadOnlySpan(), iterator.GetValue().AsReadOnlySpan());
            visited++;
        }

        return visited;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
            return;
        writer.Dispose();
        while (readers.TryTake(out var session))
            session.Dispose();
        store.Dispose();
        settings.LogDevice.Dispose();
    }
}

/// <summary>Receives one record of a log scan.</summary>
internal delegate void RecordVisitor(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);
