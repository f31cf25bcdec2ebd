using ConfigCluster.Core.Commands;
using ConfigCluster.Storage.Records;
using Google.Protobuf;

namespace ConfigCluster.Storage;

public sealed partial class FasterVersionedStore
{
    /// <summary>
    /// How long a request id is remembered for deduplication, judged by the timestamps the log
    /// entries carry (so every node forgets the same ids at the same entry): a retry within this
    /// window gets the first attempt's result; after it the id is forgotten and its record removed.
    /// A constant, not an option: nodes that disagreed on it would apply the same entry differently.
    /// </summary>
    public static readonly TimeSpan RequestIdWindow = TimeSpan.FromMinutes(10);

    // Bounds the work one entry does forgetting ids (after a long idle spell many expire at once).
    private const int MaxExpiriesPerEntry = 1024;

    // Remembered ids by (timestamp, id): the order expiry walks. Only the apply thread touches them.
    private readonly SortedSet<(long TimestampUnixMs, string Id)> requestsByAge = [];
    private readonly Dictionary<string, (long TimestampUnixMs, UInt128 Hash)> requestTimes = new(StringComparer.Ordinal);

    // The sum (mod 2^128) of the remembered records' hashes: an order-free digest of the request
    // table, kept as ids are remembered and forgotten, so ComputeDigest covers the table without
    // walking it or touching the apply thread's sets. Every node remembers and forgets the same
    // ids at the same entries, and a snapshot carries the records, so replicas agree on it.
    private readonly Lock requestSumLock = new();
    private UInt128 requestSum;

    private UInt128 RequestSum
    {
        get
        {
            lock (requestSumLock)
                return requestSum;
        }
    }

    /// <summary>How many request ids are remembered now (bounded by <see cref="RequestIdWindow"/>).</summary>
    public int RememberedRequestCount => requestTimes.Count;

    private CommandResult? FindRemembered(byte[] requestKey)
    {
        if (WriterInstance.ReadForWrite(requestKey) is not { Length: > 0 } bytes)
            return null;
        try
        {
            var result = CommandResult.Parser.ParseFrom(RequestRecord.Parser.ParseFrom(bytes).Result);
            result.Deduplicated = true;
            return result;
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }

    private void Remember(Command command, byte[] requestKey, CommandResult result)
    {
        var record = new RequestRecord { Result = result.ToByteString(), TimestampUnixMs = command.TimestampUnixMs }.ToByteArray();
        WriterInstance.Upsert(requestKey, record);
        Track(command.RequestId, command.TimestampUnixMs, record);
    }

    // Forgets ids remembered longer than the window before this entry's time. The record is
    // replaced by an empty one (not a FASTER delete) so log scans, and so snapshots, carry the
    // removal too.
    private void ExpireRequests(long nowUnixMs)
    {
        var cutoff = nowUnixMs - (long)RequestIdWindow.TotalMilliseconds;
        for (var expired = 0; expired < MaxExpiriesPerEntry && requestsByAge.Count > 0 && requestsByAge.Min.TimestampUnixMs < cutoff; expired++)
        {
            var oldest = requestsByAge.Min;
            Forget(oldest.Id);
            WriterInstance.Upsert(RecordKeys.Request(oldest.Id), []);
        }
    }

    // Rebuilds the remembered ids from a log scan (records in log order: a later one wins).
    private void LoadRequest(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (key.Length < 2 || key[0] != RecordKeys.RequestTag)
            return;
        var id = System.Text.Encoding.UTF8.GetString(key[1..]);
        Forget(id);
        if (value.IsEmpty)
            return;
        try
        {
            Track(id, RequestRecord.Parser.ParseFrom(value).TimestampUnixMs, value);
        }
        catch (InvalidProtocolBufferException)
        {
            // Not a record this version wrote: it is never found, so nothing to expire.
        }
    }

    private void Track(string id, long timestampUnixMs, ReadOnlySpan<byte> record) => Track(id, timestampUnixMs, RecordHash(id, record));

    private void Track(string id, long timestampUnixMs, UInt128 hash)
    {
        Forget(id);
        requestTimes[id] = (timestampUnixMs, hash);
        requestsByAge.Add((timestampUnixMs, id));
        lock (requestSumLock)
            requestSum += hash;
    }

    // The remembered ids as the start-up image keeps them (writer thread only).
    private List<(string Id, long TimestampUnixMs, UInt128 Hash)> RequestsForImage()
        => [.. requestTimes.Select(static entry => (entry.Key, entry.Value.TimestampUnixMs, entry.Value.Hash))];

    private void Forget(string id)
    {
        if (!requestTimes.Remove(id, out var previous))
            return;
        requestsByAge.Remove((previous.TimestampUnixMs, id));
        lock (requestSumLock)
            requestSum -= previous.Hash;
    }

    // The first 128 bits of SHA-256 over the id and the record as stored.
    private static UInt128 RecordHash(string id, ReadOnlySpan<byte> record)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes(id));
        hash.AppendData([0]);
        hash.AppendData(record);
        Span<byte> digest = stackalloc byte[32];
        hash.GetHashAndReset(digest);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(digest);
    }

    private void ClearRequests()
    {
        requestsByAge.Clear();
        requestTimes.Clear();
        lock (requestSumLock)
            requestSum = 0;
    }
}
