using BenchmarkDotNet.Attributes;
using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Storage;
using Google.Protobuf;

namespace ConfigCluster.Benchmarks;

/// <summary>The state machine's own cost: applying a put, reading the latest version, the command codec.</summary>
[MemoryDiagnoser]
public class StoreBenchmarks
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "cc-bench-store-" + Guid.NewGuid().ToString("N"));
    private FasterVersionedStore store = null!;
    private Command command = null!;
    private byte[] encoded = [];
    private KeyPath path;
    private long index;

    [GlobalSetup]
    public void Setup()
    {
        store = FasterVersionedStore.Open(new StoreOptions { Directory = directory });
        KeyPath.TryCreate(null, null, "bench.key", out path, out _);
        command = new Command { Author = "bench", TimestampUnixMs = 1, Put = new PutOp { Key = path.ToStoreKey(), Value = ByteString.CopyFromUtf8(new string('v', 64)) } };
        encoded = CommandCodec.Encode(command);
        for (var i = 0; i < 1000; i++)
            store.Apply(new Command { Put = new PutOp { Key = new StoreKey { Namespace = "default", Environment = "default", Key = $"k{i}" }, Value = ByteString.CopyFromUtf8("1") } }, ++index, 1);
    }

    [Benchmark]
    public CommandResult ApplyPut() => store.Apply(command, ++index, 1);

    [Benchmark]
    public StoredVersion? GetLatest() => store.Get(path);

    [Benchmark]
    public byte[] Encode() => CommandCodec.Encode(command);

    [Benchmark]
    public Command Decode() => CommandCodec.Decode(encoded);

    [GlobalCleanup]
    public void Cleanup()
    {
        store.Dispose();
        Directory.Delete(directory, recursive: true);
    }
}
