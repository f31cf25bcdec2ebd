using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using ConfigCluster.Core.Crypto;
using ConfigCluster.Core.Keys;

namespace ConfigCluster.Benchmarks;

/// <summary>Cost of sealing and opening one secret value (what a secret write and read add).</summary>
[MemoryDiagnoser]
public class EnvelopeBenchmarks
{
    private readonly byte[] keyId = RandomNumberGenerator.GetBytes(SecretEnvelope.KeyIdSize);
    private readonly byte[] dataKey = RandomNumberGenerator.GetBytes(SecretEnvelope.DataKeySize);
    private byte[] plaintext = [];
    private byte[] envelope = [];
    private KeyPath path;

    [Params(64, 4096)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        KeyPath.TryCreate("default", "prod", "db.password", out path, out _);
        plaintext = RandomNumberGenerator.GetBytes(Size);
        envelope = SecretEnvelope.Seal(plaintext, keyId, dataKey, path, 7);
    }

    [Benchmark]
    public byte[] Seal() => SecretEnvelope.Seal(plaintext, keyId, dataKey, path, 7);

    [Benchmark]
    public byte[] Open() => SecretEnvelope.Open(envelope, dataKey, path, 7);
}
