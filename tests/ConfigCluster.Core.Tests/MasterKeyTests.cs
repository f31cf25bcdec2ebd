using System.Security.Cryptography;
using ConfigCluster.Core.Crypto;

namespace ConfigCluster.Core.Tests;

/// <summary>Re-wrapping key material under a new master key: the new key opens it, the old one no longer does.</summary>
public sealed class MasterKeyTests
{
    [Fact]
    public void Rewrap_DataKeyTransitKeyAndFingerprintKey_OpenWithTheNewKeyOnly()
    {
        using var oldKey = new MasterKey(RandomNumberGenerator.GetBytes(MasterKey.Size));
        using var newKey = new MasterKey(RandomNumberGenerator.GetBytes(MasterKey.Size));
        Assert.NotEqual(oldKey.KeyCheckText, newKey.KeyCheckText);
        Assert.Equal(MasterKey.KeyCheckSize * 2, oldKey.KeyCheckText.Length);

        var (keyId, wrapped) = oldKey.NewWrappedDataKey();
        var dataKey = oldKey.Unwrap(keyId, wrapped);
        var rewrapped = oldKey.RewrapDataKey(keyId, wrapped, newKey);
        Assert.Equal(dataKey, newKey.Unwrap(keyId, rewrapped));
        Assert.ThrowsAny<CryptographicException>(() => oldKey.Unwrap(keyId, rewrapped));
        Assert.ThrowsAny<CryptographicException>(() => newKey.Unwrap(RandomNumberGenerator.GetBytes(keyId.Length), rewrapped));
        Assert.ThrowsAny<CryptographicException>(() => newKey.RewrapDataKey(keyId, wrapped, oldKey));

        var transit = oldKey.NewWrappedTransitKey("orders", 3, 32);
        var material = oldKey.UnwrapTransitKey("orders", 3, transit);
        var transitRewrapped = oldKey.RewrapTransitKey("orders", 3, transit, newKey);
        Assert.Equal(material, newKey.UnwrapTransitKey("orders", 3, transitRewrapped));
        Assert.ThrowsAny<CryptographicException>(() => oldKey.UnwrapTransitKey("orders", 3, transitRewrapped));
        Assert.ThrowsAny<CryptographicException>(() => newKey.UnwrapTransitKey("orders", 2, transitRewrapped));

        // The first master key's fingerprint key, carried over: fingerprints stay the same.
        var fingerprintKey = oldKey.DerivedFingerprintKey();
        var carried = newKey.WrapFingerprintKey(fingerprintKey);
        Assert.ThrowsAny<CryptographicException>(() => oldKey.UnwrapFingerprintKey(carried));
        Assert.Equal(oldKey.Fingerprint("s3cr3t"u8), MasterKey.Fingerprint(newKey.UnwrapFingerprintKey(carried), "s3cr3t"u8));
        Assert.NotEqual(oldKey.Fingerprint("s3cr3t"u8), newKey.Fingerprint("s3cr3t"u8));
    }
}
