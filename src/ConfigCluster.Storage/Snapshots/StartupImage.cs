using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ConfigCluster.Storage.Snapshots;

/// <summary>
/// What start-up would otherwise rebuild by scanning the whole FASTER log (the key index, the hot
/// metadata records, the remembered request ids), as it stood at one log address, written next to
/// the FASTER checkpoint that holds that address. Recovery loads it and scans only the log after
/// that address. It is a cache, never the only copy: a missing, damaged or mismatched image
/// (another begin address, i.e. a compaction since, or an address past the recovered tail) makes
/// start-up fall back to the full scan, so it needs no sync to disk.
/// <code>
/// "CCIMG001" | logAddress:i64 | beginAddress:i64 | compactionBaseline:i64
///   | keys:i32 { len:i32 utf8 }* | records:i32 { len:i32 key len:i32 value }*
///   | requests:i32 { len:i32 utf8-id timestamp:i64 hash:u128 }* | sha256[32]
/// </code>
/// </summary>
internal sealed class StartupImage
{
    private static readonly byte[] Magic = "CCIMG001"u8.ToArray();
    private const int HashBytes = 32;

    /// <summary>The log address the image describes: the state of every record below it.</summary>
    public required long LogAddress { get; init; }

    /// <summary>The log's begin address when the image was taken.</summary>
    public required long BeginAddress { get; init; }

    /// <summary>The live log span right after the last compaction (0 when none), see <see cref="FasterVersionedStore"/>.</summary>
    public required long CompactionBaseline { get; init; }

    /// <summary>Every key of the key index, ordered.</summary>
    public required IReadOnlyList<string> Keys { get; init; }

    /// <summary>Every metadata record as stored (empty values included: some mean something).</summary>
    public required IReadOnlyList<(byte[] Key, byte[] Value)> Records { get; init; }

    /// <summary>The remembered request ids with their time and record hash.</summary>
    public required IReadOnlyList<(string Id, long TimestampUnixMs, UInt128 Hash)> Requests { get; init; }

    /// <summary>Writes the image to <paramref name="path"/> (through a temporary file and a rename).</summary>
    public async Task WriteAsync(string path, CancellationToken token)
    {
        var buffer = new ArrayBufferWriter<byte>(1 << 16);
        Serialize(buffer);
        var temp = path + ".tmp";
        await File.WriteAllBytesAsync(temp, buffer.WrittenMemory.ToArray(), token).ConfigureAwait(false);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The image in <paramref name="path"/>, or null when there is none or it is damaged.</summary>
    public static StartupImage? TryRead(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        if (bytes.Length < Magic.Length + HashBytes || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            return null;
        var body = bytes.AsSpan(0, bytes.Length - HashBytes);
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(body), bytes.AsSpan(body.Length)))
            return null;
        try
        {
            return Parse(body[Magic.Length..]);
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or DecoderFallbackException or InvalidDataException)
        {
            return null;
        }
    }

    private void Serialize(ArrayBufferWriter<byte> output)
    {
        output.Write(Magic);
        WriteInt64(output, LogAddress);
        WriteInt64(output, BeginAddress);
        WriteInt64(output, CompactionBaseline);
        WriteInt32(output, Keys.Count);
        foreach (var key in Keys)
            WriteBytes(output, Encoding.UTF8.GetBytes(key));
        WriteInt32(output, Records.Count);
        foreach (var (key, value) in Records)
        {
            WriteBytes(output, key);
            WriteBytes(output, value);
        }

        WriteInt32(output, Requests.Count);
        foreach (var (id, timestamp, hash) in Requests)
        {
            WriteBytes(output, Encoding.UTF8.GetBytes(id));
            WriteInt64(output, timestamp);
            BinaryPrimitives.WriteUInt128LittleEndian(output.GetSpan(16), hash);
            output.Advance(16);
        }

        output.Write(SHA256.HashData(output.WrittenSpan));
    }

    private static StartupImage Parse(ReadOnlySpan<byte> body)
    {
        var reader = new Reader(body);
        var (logAddress, beginAddress, baseline) = (reader.Int64(), reader.Int64(), reader.Int64());
        var keys = new List<string>(reader.Count());
        for (var i = keys.Capacity; i > 0; i--)
            keys.Add(Encoding.UTF8.GetString(reader.Bytes()));
        var records = new List<(byte[], byte[])>(reader.Count());
        for (var i = records.Capacity; i > 0; i--)
            records.Add((reader.Bytes().ToArray(), reader.Bytes().ToArray()));
        var requests = new List<(string, long, UInt128)>(reader.Count());
        for (var i = requests.Capacity; i > 0; i--)
            requests.Add((Encoding.UTF8.GetString(reader.Bytes()), reader.Int64(), reader.UInt128()));
        if (!reader.AtEnd)
            throw new InvalidDataException("trailing bytes");
        return new StartupImage { LogAddress = logAddress, BeginAddress = beginAddress, CompactionBaseline = baseline, Keys = keys, Records = records, Requests = requests };
    }

    private static void WriteInt64(ArrayBufferWriter<byte> output, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(output.GetSpan(8), value);
        output.Advance(8);
    }

    private static void WriteInt32(ArrayBufferWriter<byte> output, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(output.GetSpan(4), value);
        output.Advance(4);
    }

    private static void WriteBytes(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        WriteInt32(output, bytes.Length);
        output.Write(bytes);
    }

    // Bounds are checked by the span indexers (ArgumentOutOfRangeException on a short body).
    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> rest = data;

        public readonly bool AtEnd => rest.IsEmpty;

        public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

        public UInt128 UInt128() => BinaryPrimitives.ReadUInt128LittleEndian(Take(16));

        public int Count()
        {
            var count = BinaryPrimitives.ReadInt32LittleEndian(Take(4));
            // Each entry takes at least four bytes: a count beyond that is damage, not a huge allocation.
            return count >= 0 && count <= rest.Length / 4 ? count : throw new InvalidDataException("count out of range");
        }

        public ReadOnlySpan<byte> Bytes()
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(Take(4));
            return length >= 0 ? Take(length) : throw new InvalidDataException("negative length");
        }

        private ReadOnlySpan<byte> Take(int count)
        {
            var taken = rest[..count];
            rest = rest[count..];
            return taken;
        }
    }
}
