using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ConfigCluster.Core.Crypto;

/// <summary>How a backup is protected by its key.</summary>
public enum BackupProtection : byte
{
    /// <summary>The snapshot stays readable; an HMAC-SHA256 over the whole file proves who wrote it and that nothing changed.</summary>
    Signed = 1,

    /// <summary>The snapshot is encrypted whole with AES-256-GCM, in chunks (authenticated, truncation detected).</summary>
    Encrypted = 2,
}

/// <summary>
/// A backup sealed with a 32-byte backup key (kept by operators, never by the cluster's log):
/// authenticated always, encrypted on request. Snapshots alone carry only a SHA-256, which
/// catches damage but not a forged file. Layout:
/// <code>
/// "CCBAK01\0" | protection(1) | salt(16) | body
/// Signed:    body = snapshot bytes | HMAC-SHA256(macKey, everything before)(32)
/// Encrypted: body = { length:i32 | ciphertext | tag(16) }*, the last chunk flagged in its
///            associated data (header, chunk number, last flag), so reordering, dropping and
///            truncating chunks all fail
/// </code>
/// Keys are derived from the backup key and the file's salt with HKDF-SHA256, one per purpose.
/// </summary>
public static class BackupEnvelope
{
    /// <summary>Bytes of a backup key.</summary>
    public const int KeySize = 32;

    private const int SaltSize = 16, TagSize = 16, NonceSize = 12, MacSize = 32, ChunkSize = 1 << 16;
    private const int HeaderSize = 8 + 1 + SaltSize;
    private static readonly byte[] Magic = "CCBAK01\0"u8.ToArray();

    /// <summary>Whether <paramref name="start"/> (the first bytes of a file) is a sealed backup.</summary>
    public static bool IsSealed(ReadOnlySpan<byte> start) => start.Length >= Magic.Length && start[..Magic.Length].SequenceEqual(Magic);

    /// <summary>Seals the snapshot read from <paramref name="snapshot"/> into <paramref name="destination"/>.</summary>
    public static async Task SealAsync(Stream snapshot, Stream destination, ReadOnlyMemory<byte> key, BackupProtection protection, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(destination);
        CheckKey(key.Span);
        var header = new byte[HeaderSize];
        Magic.CopyTo(header, 0);
        header[8] = (byte)protection;
        RandomNumberGenerator.Fill(header.AsSpan(9, SaltSize));
        await destination.WriteAsync(header, token).ConfigureAwait(false);
        var buffer = new byte[ChunkSize];
        if (protection == BackupProtection.Signed)
        {
            using var mac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Derive(key.Span, header, "mac"));
            mac.AppendData(header);
            int read;
            while ((read = await snapshot.ReadAsync(buffer, token).ConfigureAwait(false)) > 0)
            {
                mac.AppendData(buffer, 0, read);
                await destination.WriteAsync(buffer.AsMemory(0, read), token).ConfigureAwait(false);
            }

            await destination.WriteAsync(mac.GetHashAndReset(), token).ConfigureAwait(false);
            return;
        }

        if (protection != BackupProtection.Encrypted)
            throw new ArgumentOutOfRangeException(nameof(protection));
        using var aes = new AesGcm(Derive(key.Span, header, "encryption"), TagSize);
        var next = new byte[ChunkSize];
        var filled = await FillAsync(snapshot, buffer, token).ConfigureAwait(false);
        for (long chunk = 0; ; chunk++)
        {
            // Read ahead one chunk to know whether this one is the last.
            var nextFilled = filled == ChunkSize ? await FillAsync(snapshot, next, token).ConfigureAwait(false) : 0;
            var last = nextFilled == 0;
            var sealedChunk = new byte[4 + filled + TagSize];
            BinaryPrimitives.WriteInt32LittleEndian(sealedChunk, filled);
            aes.Encrypt(Nonce(chunk), buffer.AsSpan(0, filled), sealedChunk.AsSpan(4, filled), sealedChunk.AsSpan(4 + filled), Associated(header, chunk, last));
            await destination.WriteAsync(sealedChunk, token).ConfigureAwait(false);
            if (last)
                return;
            (buffer, next) = (next, buffer);
            filled = nextFilled;
        }
    }

    /// <summary>
    /// Checks and opens a sealed backup into <paramref name="snapshot"/> (the plain snapshot).
    /// Nothing written is to be trusted unless this returns: write to a temporary file.
    /// </summary>
    /// <exception cref="InvalidDataException">Not a sealed backup, the wrong key, or the file was changed or truncated.</exception>
    public static async Task OpenAsync(Stream sealedBackup, Stream snapshot, ReadOnlyMemory<byte> key, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(sealedBackup);
        ArgumentNullException.ThrowIfNull(snapshot);
        CheckKey(key.Span);
        var header = new byte[HeaderSize];
        if (await FillAsync(sealedBackup, header, token).ConfigureAwait(false) != HeaderSize || !IsSealed(header))
            throw new InvalidDataException("not a sealed ConfigCluster backup");
        switch ((BackupProtection)header[8])
        {
            case BackupProtection.Signed:
                await OpenSignedAsync(sealedBackup, snapshot, header, key, token).ConfigureAwait(false);
                return;
            case BackupProtection.Encrypted:
                await OpenEncryptedAsync(sealedBackup, snapshot, header, key, token).ConfigureAwait(false);
                return;
            default:
                throw new InvalidDataException($"unknown backup protection {header[8]}");
        }
    }

    private static async Task OpenSignedAsync(Stream source, Stream snapshot, byte[] header, ReadOnlyMemory<byte> key, CancellationToken token)
    {
        using var mac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Derive(key.Span, header, "mac"));
        mac.AppendData(header);
        // Everything but the last 32 bytes is the snapshot: hold back a trailer's worth.
        var pending = new List<byte>(MacSize);
        var buffer = new byte[ChunkSize];
        int read;
        while ((read = await source.ReadAsync(buffer, token).ConfigureAwait(false)) > 0)
        {
            pending.AddRange(buffer.AsSpan(0, read));
            if (pending.Count > MacSize)
            {
                var ready = pending.Count - MacSize;
                var bytes = pending.GetRange(0, ready).ToArray();
                mac.AppendData(bytes);
                await snapshot.WriteAsync(bytes, token).ConfigureAwait(false);
                pending.RemoveRange(0, ready);
            }
        }

        if (pending.Count != MacSize || !CryptographicOperations.FixedTimeEquals(mac.GetHashAndReset(), pending.ToArray()))
            throw new InvalidDataException("the backup's signature does not match: wrong key, or the file was changed");
    }

    private static async Task OpenEncryptedAsync(Stream source, Stream snapshot, byte[] header, ReadOnlyMemory<byte> key, CancellationToken token)
    {
        if (!source.CanSeek)
            throw new NotSupportedException("opening an encrypted backup needs a seekable stream (a file)");
        using var aes = new AesGcm(Derive(key.Span, header, "encryption"), TagSize);
        var length = new byte[4];
        for (long chunk = 0; ; chunk++)
        {
            if (await FillAsync(source, length, token).ConfigureAwait(false) != 4)
                throw new InvalidDataException("the backup is truncated");
            var size = BinaryPrimitives.ReadInt32LittleEndian(length);
            if (size is < 0 or > ChunkSize)
                throw new InvalidDataException("the backup is damaged (bad chunk length)");
            var body = new byte[size + TagSize];
            if (await FillAsync(source, body, token).ConfigureAwait(false) != body.Length)
                throw new InvalidDataException("the backup is truncated");
            var plain = new byte[size];
            var last = source.Position == source.Length;
            try
            {
                aes.Decrypt(Nonce(chunk), body.AsSpan(0, size), body.AsSpan(size), plain, Associated(header, chunk, last));
            }
            catch (AuthenticationTagMismatchException e)
            {
                throw new InvalidDataException("the backup does not open: wrong key, or the file was changed or truncated", e);
            }

            await snapshot.WriteAsync(plain, token).ConfigureAwait(false);
            if (last)
                return;
        }
    }

    private static async Task<int> FillAsync(Stream source, byte[] buffer, CancellationToken token)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await source.ReadAsync(buffer.AsMemory(total), token).ConfigureAwait(false);
            if (read == 0)
                break;
            total += read;
        }

        return total;
    }

    private static byte[] Derive(ReadOnlySpan<byte> key, byte[] header, string purpose)
    {
        var derived = new byte[32];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, key, derived, header.AsSpan(9, SaltSize), Encoding.ASCII.GetBytes("configcluster backup " + purpose));
        return derived;
    }

    private static byte[] Nonce(long chunk)
    {
        var nonce = new byte[NonceSize];
        BinaryPrimitives.WriteInt64LittleEndian(nonce.AsSpan(4), chunk);
        return nonce;
    }

    private static byte[] Associated(byte[] header, long chunk, bool last)
    {
        var data = new byte[HeaderSize + 9];
        header.CopyTo(data, 0);
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(HeaderSize), chunk);
        data[^1] = last ? (byte)1 : (byte)0;
        return data;
    }

    private static void CheckKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeySize)
            throw new ArgumentException($"a backup key is {KeySize} bytes", nameof(key));
    }

    /// <summary>Reads a backup key file: 32 bytes as base64 (one line), the same as a master key file.</summary>
    /// <exception cref="InvalidDataException">The file does not hold a 32-byte base64 key.</exception>
    public static byte[] ReadKeyFile(string path)
    {
        var text = File.ReadAllText(path).Trim();
        try
        {
            var key = Convert.FromBase64String(text);
            if (key.Length == KeySize)
                return key;
        }
        catch (FormatException)
        {
            // reported below, without the file's content
        }

        throw new InvalidDataException($"{path} does not hold a backup key (32 bytes, base64)");
    }
}
