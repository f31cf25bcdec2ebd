using System.Buffers.Binary;
using System.Security.Cryptography;
using ConfigCluster.Storage.Faster;

namespace ConfigCluster.Storage.Snapshots;

/// <summary>
/// The transfer form of a store checkpoint: a header, the FASTER records up to the checkpoint
/// in log order (later records for a key supersede earlier ones), an end marker and a SHA-256
/// of everything before it.
/// <code>
/// "CCSNAP01" | index:i64 | term:i64 | { keyLen:i32 key valueLen:i32 value }* | -1:i32 | sha256[32]
/// </code>
/// </summary>
internal static class SnapshotFormat
{
    private static readonly byte[] Magic = "CCSNAP01"u8.ToArray();
    private const int EndMarker = -1;
    private const int MaxRecordBytes = 64 << 20;

    /// <summary>Writes a snapshot; <paramref name="writeRecords"/> is called with a record sink.</summary>
    public static void Write(Stream destination, long index, long term, Action<RecordVisitor> writeRecords)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> scratch = stackalloc byte[16];

        void Emit(ReadOnlySpan<byte> bytes)
        {
            hash.AppendData(bytes);
            destination.Write(bytes);
        }

        Emit(Magic);
        BinaryPrimitives.WriteInt64LittleEndian(scratch, index);
        BinaryPrimitives.WriteInt64LittleEndian(scratch[8..], term);
        Emit(scratch);
        writeRecords((key, value) =>
        {
            Span<byte> length = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(length, key.Length);
            Emit(length);
            Emit(key);
            BinaryPrimitives.WriteInt32LittleEndian(length, value.Length);
            Emit(length);
            Emit(value);
        });
        BinaryPrimitives.WriteInt32LittleEndian(scratch, EndMarker);
        Emit(scratch[..4]);
        destination.Write(hash.GetHashAndReset());
    }

    /// <summary>Checks the checksum and structure of a snapshot file and returns its Raft position.</summary>
    /// <exception cref="InvalidDataException">The file is damaged or not a snapshot.</exception>
    public static (long Index, long Term) Verify(string file)
    {
        using var stream = File.OpenRead(file);
        // The checksum first: damage anywhere (a length field included) is reported as such,
        // not as whatever structural error the damaged bytes happen to cause.
        VerifyChecksum(stream);
        stream.Position = 0;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var (index, term) = ReadCore(stream, hash, visitor: null);
        return (index, term);
    }

    private static void VerifyChecksum(FileStream stream)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var trailer = new byte[hash.HashLengthInBytes];
        if (stream.Length < trailer.Length)
            throw new InvalidDataException("snapshot is truncated (no checksum)");
        var remaining = stream.Length - trailer.Length;
        var buffer = new byte[1 << 16];
        while (remaining > 0)
        {
            var read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, remaining));
            if (read == 0)
                throw new InvalidDataException("snapshot is truncated (no checksum)");
            hash.AppendData(buffer, 0, read);
            remaining -= read;
        }

        stream.ReadExactly(trailer);
        if (!CryptographicOperations.FixedTimeEquals(hash.GetHashAndReset(), trailer))
            throw new InvalidDataException("snapshot checksum mismatch: the file is damaged");
    }

    /// <summary>Reads a snapshot (verify it first), passing every record to <paramref name="visitor"/>.</summary>
    public static void Read(string file, RecordVisitor visitor)
    {
        using var stream = File.OpenRead(file);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        ReadCore(stream, hash, visitor);
    }

    private static (long Index, long Term) ReadCore(Stream source, IncrementalHash hash, RecordVisitor? visitor)
    {
        using var buffered = new BufferedStream(source, 1 << 16);
        var header = ReadExactly(buffered, hash, 24);
        if (!header.AsSpan(0, 8).SequenceEqual(Magic))
        {
            // "CCSNAP" and two digits: the snapshot format. A newer one is refused by name.
            if (header.AsSpan(0, 6).SequenceEqual(Magic.AsSpan(0, 6)) && int.TryParse(header.AsSpan(6, 2), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var format) && format > StoreFormat.Snapshots)
                throw new InvalidDataException($"the snapshot was written by a newer build (snapshot format {format}; this build reads up to {StoreFormat.Snapshots}): upgrade this node");
            throw new InvalidDataException("not a ConfigCluster snapshot (bad magic)");
        }
        var index = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(8));
        var term = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(16));
        while (true)
        {
            var keyLength = BinaryPrimitives.ReadInt32LittleEndian(ReadExactly(buffered, hash, 4));
            if (keyLength == EndMarker)
                break;
            var key = ReadExactly(buffered, hash, CheckLength(keyLength));
            var valueLength = BinaryPrimitives.ReadInt32LittleEndian(ReadExactly(buffered, hash, 4));
            var value = ReadExactly(buffered, hash, CheckLength(valueLength));
            visitor?.Invoke(key, value);
        }

        var expected = hash.GetHashAndReset();
        var actual = new byte[expected.Length];
        try
        {
            buffered.ReadExactly(actual);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("snapshot is truncated (no checksum)", e);
        }

        if (!CryptographicOperations.FixedTimeEquals(expected, actual))
            throw new InvalidDataException("snapshot checksum mismatch: the file is damaged");
        if (buffered.ReadByte() != -1)
            throw new InvalidDataException("snapshot has trailing bytes after its checksum");
        return (index, term);
    }

    private static int CheckLength(int length)
        => length is >= 0 and <= MaxRecordBytes ? length : throw new InvalidDataException($"snapshot record length {length} is out of range");

    private static byte[] ReadExactly(Stream stream, IncrementalHash hash, int count)
    {
        var buffer = new byte[count];
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("snapshot is truncated", e);
        }

        hash.AppendData(buffer);
        return buffer;
    }
}
