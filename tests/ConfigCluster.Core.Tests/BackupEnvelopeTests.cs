using System.Security.Cryptography;
using ConfigCluster.Core.Crypto;

namespace ConfigCluster.Core.Tests;

public sealed class BackupEnvelopeTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(BackupEnvelope.KeySize);

    public static TheoryData<BackupProtection, int> Cases() => new()
    {
        { BackupProtection.Signed, 0 },
        { BackupProtection.Signed, 100_000 },
        { BackupProtection.Encrypted, 0 },
        { BackupProtection.Encrypted, 1 << 16 },
        { BackupProtection.Encrypted, 200_000 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task SealThenOpen_GivesBackTheSnapshot(BackupProtection protection, int size)
    {
        var snapshot = RandomNumberGenerator.GetBytes(size);
        var sealedBackup = await SealAsync(snapshot, protection);

        Assert.True(BackupEnvelope.IsSealed(sealedBackup));
        Assert.Equal(snapshot, await OpenAsync(sealedBackup, Key));
        if (protection == BackupProtection.Encrypted && size >= 32)
            Assert.DoesNotContain(Convert.ToHexString(snapshot.AsSpan(0, 32)), Convert.ToHexString(sealedBackup), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Open_AnyByteChanged_OrTruncated_OrWrongKey_IsRefused(BackupProtection protection, int size)
    {
        var sealedBackup = await SealAsync(RandomNumberGenerator.GetBytes(size), protection);
        foreach (var at in new[] { 9, 30, sealedBackup.Length / 2, sealedBackup.Length - 1 })
        {
            var changed = (byte[])sealedBackup.Clone();
            changed[at] ^= 0x01;
            await Assert.ThrowsAsync<InvalidDataException>(() => OpenAsync(changed, Key));
        }

        foreach (var cut in new[] { 1, 17, sealedBackup.Length / 3 })
            await Assert.ThrowsAsync<InvalidDataException>(() => OpenAsync(sealedBackup[..^cut], Key));
        await Assert.ThrowsAsync<InvalidDataException>(() => OpenAsync(sealedBackup, RandomNumberGenerator.GetBytes(BackupEnvelope.KeySize)));
    }

    [Fact]
    public async Task Open_PlainSnapshot_IsRefusedAsNotSealed()
    {
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => OpenAsync("CCSNAP01........................"u8.ToArray(), Key));
        Assert.Contains("not a sealed", error.Message, StringComparison.Ordinal);
    }

    private static async Task<byte[]> SealAsync(byte[] snapshot, BackupProtection protection)
    {
        using var output = new MemoryStream();
        await BackupEnvelope.SealAsync(new MemoryStream(snapshot), output, Key, protection, CancellationToken.None);
        return output.ToArray();
    }

    private static async Task<byte[]> OpenAsync(byte[] sealedBackup, byte[] key)
    {
        using var output = new MemoryStream();
        await BackupEnvelope.OpenAsync(new MemoryStream(sealedBackup), output, key, CancellationToken.None);
        return output.ToArray();
    }
}
