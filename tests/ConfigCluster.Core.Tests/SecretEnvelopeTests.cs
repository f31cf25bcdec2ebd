using System.Security.Cryptography;
using System.Text;
using ConfigCluster.Core.Crypto;
using ConfigCluster.Core.Keys;

namespace ConfigCluster.Core.Tests;

public sealed class SecretEnvelopeTests
{
    private static readonly byte[] KeyId = RandomNumberGenerator.GetBytes(SecretEnvelope.KeyIdSize);
    private static readonly byte[] DataKey = RandomNumberGenerator.GetBytes(SecretEnvelope.DataKeySize);

    private static KeyPath Path(string key, string env = "default")
        => KeyPath.TryCreate("default", env, key, out var path, out _) ? path : throw new ArgumentException(key);

    [Fact]
    public void SealOpen_RoundTrips_WithFreshNonces()
    {
        var plaintext = Encoding.UTF8.GetBytes("\"s3cret\"");
        var a = SecretEnvelope.Seal(plaintext, KeyId, DataKey, Path("db.password"), 3);
        var b = SecretEnvelope.Seal(plaintext, KeyId, DataKey, Path("db.password"), 3);

        Assert.NotEqual(a, b);
        Assert.Equal(plaintext, SecretEnvelope.Open(a, DataKey, Path("db.password"), 3));
        Assert.Equal(KeyId, SecretEnvelope.KeyIdOf(a).ToArray());
        Assert.Equal(-1, a.AsSpan().IndexOf(plaintext));
    }

    [Theory]
    [InlineData("other.key", "default", 3)]
    [InlineData("db.password", "prod", 3)]
    [InlineData("db.password", "default", 4)]
    public void Open_UnderOtherKeyEnvironmentOrVersion_Fails(string key, string env, long version)
    {
        var envelope = SecretEnvelope.Seal("x"u8, KeyId, DataKey, Path("db.password"), 3);
        Assert.ThrowsAny<CryptographicException>(() => SecretEnvelope.Open(envelope, DataKey, Path(key, env), version));
    }

    [Fact]
    public void Open_TamperedTagOrCiphertext_Fails()
    {
        var envelope = SecretEnvelope.Seal("value"u8, KeyId, DataKey, Path("k"), 1);
        var tamperedTag = (byte[])envelope.Clone();
        tamperedTag[1 + 16 + 12] ^= 1;
        var tamperedBody = (byte[])envelope.Clone();
        tamperedBody[^1] ^= 1;
        Assert.ThrowsAny<CryptographicException>(() => SecretEnvelope.Open(tamperedTag, DataKey, Path("k"), 1));
        Assert.ThrowsAny<CryptographicException>(() => SecretEnvelope.Open(tamperedBody, DataKey, Path("k"), 1));
        Assert.ThrowsAny<CryptographicException>(() => SecretEnvelope.Open(envelope, RandomNumberGenerator.GetBytes(32), Path("k"), 1));
        Assert.ThrowsAny<CryptographicException>(() => SecretEnvelope.KeyIdOf(new byte[10]));
    }

    [Fact]
    public void MasterKey_WrapsAndUnwrapsDataKeys_AndAnotherMasterKeyCannot()
    {
        using var master = new MasterKey(RandomNumberGenerator.GetBytes(32));
        using var other = new MasterKey(RandomNumberGenerator.GetBytes(32));
        var (keyId, wrapped) = master.NewWrappedDataKey();

        var dataKey = master.Unwrap(keyId, wrapped);
        Assert.Equal(32, dataKey.Length);
        Assert.ThrowsAny<CryptographicException>(() => other.Unwrap(keyId, wrapped));
        Assert.ThrowsAny<CryptographicException>(() => master.Unwrap(RandomNumberGenerator.GetBytes(16), wrapped));
        Assert.Equal(master.Fingerprint("a"u8), master.Fingerprint("a"u8));
        Assert.NotEqual(master.Fingerprint("a"u8), other.Fingerprint("a"u8));
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("AAAA")]
    public void MasterKey_TryParse_RejectsBadInput(string text)
    {
        Assert.False(MasterKey.TryParse(text, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }
}
