using System.Diagnostics;
using System.Globalization;
using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Storage;
using Google.Protobuf;

namespace ConfigCluster.Benchmarks;

/// <summary>
/// The store far larger than its memory budget, measured outside the test suite:
/// fills one store with N keys through the writer thread (<see cref="IVersionedStore.ApplyAsync"/>),
/// checkpoints, reports time, on-disk size and RSS, then times random reads of the whole key
/// space from concurrent readers through <see cref="IVersionedStore.GetAsync"/> (most records are
/// only on disk; the OS page cache is not dropped), and the time to reopen (recover) the store.
/// <code>dotnet run -c Release --project benchmarks/ConfigCluster.Benchmarks -- store-fill [keys] [valueBytes] [memoryMiB] [reads] [readers]</code>
/// </summary>
internal static class StoreFill
{
    public static async Task RunAsync(string[] args)
    {
        var keys = Arg(args, 0, 1_000_000);
        var valueBytes = Arg(args, 1, 256);
        var memoryMiB = Arg(args, 2, 64);
        var reads = Arg(args, 3, 20_000);
        var readers = Arg(args, 4, 64);
        var directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cc-store-fill-" + Guid.NewGuid().ToString("N"));
        var options = new StoreOptions { Directory = directory, LogMemoryBytes = (long)memoryMiB << 20 };
        try
        {
            var store = FasterVersionedStore.Open(options);
            var fill = Stopwatch.StartNew();
            for (var i = 0; i < keys; i++)
            {
                var command = new Command { Author = "fill", TimestampUnixMs = 1_700_000_000_000 + i, Put = new PutOp { Key = Path(i).ToStoreKey(), Value = ByteString.CopyFromUtf8(Value(i, valueBytes)) } };
                var index = i + 1;
                var result = await store.RunOnWriterAsync(() => store.Apply(command, index, 1));
                if (result.Code != ResultCode.ResultOk)
                    throw new InvalidOperationException($"put {i} failed: {result.Message}");
            }

            await store.CheckpointAsync(CancellationToken.None);
            fill.Stop();
            Console.WriteLine(Invariant($"fill: {keys} keys of {valueBytes} B, budget {memoryMiB} MiB: {fill.Elapsed.TotalSeconds:0.0} s ({keys / fill.Elapsed.TotalSeconds:0} puts/s), checkpoint included"));
            Console.WriteLine(Invariant($"on disk: {DiskBytes(directory) / 1048576.0:0.0} MiB (FASTER log {store.LogBytes / 1048576.0:0.0} MiB); RSS after fill: {RssMiB():0} MiB"));

            await ReadAsync(store, keys, valueBytes, reads, readers, "cold random reads");
            Console.WriteLine(Invariant($"RSS after reads: {RssMiB():0} MiB"));

            store.Dispose();
            var reopen = Stopwatch.StartNew();
            store = FasterVersionedStore.Open(options);
            reopen.Stop();
            Console.WriteLine(Invariant($"reopen (recover + rebuild key index and metadata): {reopen.Elapsed.TotalSeconds:0.00} s, {store.KeyCount} keys"));
            await ReadAsync(store, keys, valueBytes, reads, readers, "after reopen");
            store.Dispose();
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task ReadAsync(FasterVersionedStore store, int keys, int valueBytes, int reads, int readers, string what)
    {
        var latencies = new double[reads];
        var next = -1;
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, readers).Select(reader => Task.Run(async () =>
        {
            var random = new Random(reader);
            for (var n = Interlocked.Increment(ref next); n < reads; n = Interlocked.Increment(ref next))
            {
                var i = random.Next(keys);
                var started = Stopwatch.GetTimestamp();
                var version = await store.GetAsync(Path(i), 0, CancellationToken.None);
                latencies[n] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (version is null || !version.Value.Span.SequenceEqual(System.Text.Encoding.UTF8.GetBytes(Value(i, valueBytes))))
                    throw new InvalidOperationException($"key {i} read back wrong");
            }
        })));
        wall.Stop();
        Array.Sort(latencies);
        Console.WriteLine(Invariant($"{what}: {reads} reads from {readers} readers, {reads / wall.Elapsed.TotalSeconds:0} reads/s, p50 {latencies[reads / 2]:0.00} ms, p99 {latencies[reads * 99 / 100]:0.00} ms, max {latencies[^1]:0.00} ms (all values checked)"));
    }

    private static KeyPath Path(int i) => KeyPath.TryCreate(null, null, $"fill.{i:D7}", out var path, out var error) ? path : throw new InvalidOperationException(error);

    private static string Value(int i, int valueBytes)
    {
        var head = $"\"{i}:";
        return head + new string('v', Math.Max(0, valueBytes - head.Length - 1)) + "\"";
    }

    private static long DiskBytes(string directory) => new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(static f => f.Length);

    private static double RssMiB()
    {
        var line = File.ReadLines("/proc/self/status").First(static l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    }

    private static int Arg(string[] args, int position, int fallback) => args.Length > position ? int.Parse(args[position], CultureInfo.InvariantCulture) : fallback;

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
