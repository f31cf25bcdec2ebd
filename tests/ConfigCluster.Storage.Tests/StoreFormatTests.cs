using System.Buffers.Binary;
using System.Security.Cryptography;

namespace ConfigCluster.Storage.Tests;

public sealed class StoreFormatTests
{
    [Fact]
    public async Task RestoreAsync_SnapshotOfANewerFormat_IsRefusedByName()
    {
        var root = Directory.CreateTempSubdirectory("cc-format-");
        try
        {
            // A well-formed snapshot (checksum included) whose magic names format 02.
            var body = new List<byte>("CCSNAP02"u8.ToArray());
            var numbers = new byte[20];
            BinaryPrimitives.WriteInt64LittleEndian(numbers, 7);
            BinaryPrimitives.WriteInt64LittleEndian(numbers.AsSpan(8), 1);
            BinaryPrimitives.WriteInt32LittleEndian(numbers.AsSpan(16), -1);
            body.AddRange(numbers);
            body.AddRange(SHA256.HashData(body.ToArray()));
            var file = Path.Combine(root.FullName, "newer.snap");
            await File.WriteAllBytesAsync(file, body.ToArray());

            var error = await Assert.ThrowsAsync<InvalidDataException>(() => FasterVersionedStore.RestoreAsync(file, new StoreOptions { Directory = Path.Combine(root.FullName, "store"), IndexSizeBytes = 1L << 20 }, CancellationToken.None));

            Assert.Contains("newer build (snapshot format 2", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(StoreFormat.Records)]
    public void CheckRecords_KnownFormat_Passes(uint format) => StoreFormat.CheckRecords(format);

    [Fact]
    public void CheckRecords_NewerFormat_ThrowsWithAClearMessage()
    {
        var error = Assert.Throws<InvalidDataException>(() => StoreFormat.CheckRecords(StoreFormat.Records + 1));
        Assert.Contains("upgrade this node", error.Message, StringComparison.Ordinal);
    }
}
