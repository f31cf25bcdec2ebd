using System.Security.Cryptography;
using ConfigCluster.Core.Crypto;

namespace ConfigCluster.Core.Tests;

public sealed class KeySharesTests
{
    [Fact]
    public void Combine_EveryThresholdSubset_GivesTheSecretBack()
    {
        var secret = RandomNumberGenerator.GetBytes(32);
        var shares = KeyShares.Split(secret, count: 5, threshold: 3);

        for (var a = 0; a < 5; a++)
        {
            for (var b = a + 1; b < 5; b++)
            {
                for (var c = b + 1; c < 5; c++)
                    Assert.Equal(secret, KeyShares.Combine([shares[c], shares[a], shares[b]]));
            }
        }

        Assert.Equal(secret, KeyShares.Combine(shares.ToList()));
    }

    [Fact]
    public void Combine_TooFewDuplicateOrMixedShares_IsRefused()
    {
        var shares = KeyShares.Split(RandomNumberGenerator.GetBytes(32), count: 5, threshold: 3);
        var other = KeyShares.Split(RandomNumberGenerator.GetBytes(32), count: 4, threshold: 3);

        Assert.Throws<FormatException>(() => KeyShares.Combine([shares[0], shares[1]]));
        Assert.Throws<FormatException>(() => KeyShares.Combine([shares[0], shares[0], shares[1]]));
        Assert.Throws<FormatException>(() => KeyShares.Combine([shares[0], shares[1], other[2]]));
        Assert.Throws<FormatException>(() => KeyShares.Combine(["bm90IGEgc2hhcmU=", shares[1], shares[2]]));
        Assert.Equal((3, 5, 2), KeyShares.Describe(shares[1]));
    }

    [Fact]
    public void Split_SharesDifferFromTheSecretAndFromEachOtherAcrossSplits()
    {
        var secret = RandomNumberGenerator.GetBytes(32);
        var first = KeyShares.Split(secret, count: 3, threshold: 2);
        var second = KeyShares.Split(secret, count: 3, threshold: 2);

        Assert.NotEqual(first[0], second[0]); // fresh randomness per split
        Assert.DoesNotContain(Convert.ToBase64String(secret), string.Concat(first), StringComparison.Ordinal);
    }
}
