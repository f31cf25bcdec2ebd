using System.Security.Cryptography;
using System.Text;
using ConfigCluster.Core.Commands;
using Google.Protobuf;

namespace ConfigCluster.Storage.Tests;

/// <summary>
/// A store whose data is many times its memory budget (16 MiB, the smallest the default 4 MiB
/// value limit allows): most records live only on disk, so reads take FASTER's asynchronous
/// I/O path, and the metadata every request consults must still answer from memory.
/// </summary>
public sealed class FasterStoreBeyondMemoryTests : IDisposable
{
    private const long Budget = 16L << 20;
    private const int Keys = 25_000;
    private const int Rounds = 9;
    private const int ValueBytes = 800;
    private const int Readers = 32;
    private const int SamplesPerReader = 100;

    private readonly string root = Path.Combine(Path.GetTempPath(), "cc-store-big", Guid.NewGuid().ToString("N"));
    private readonly CancellationTokenSource timeout = new(TimeSpan.FromMinutes(10)); // a bound for a hang: 225k applies take ~1 min idle, 4+ at load average 60

    private StoreOptions Options => new() { Directory = Path.Combine(root, "store"), LogMemoryBytes = Budget };

    [Fact]
    public void Open_BudgetBelowTwoPagesOfTheValueLimit_IsRefusedWithAClearMessage()
    {
        var options = Options;
        options.LogMemoryBytes = 12L << 20;

        var error = Assert.Throws<ArgumentException>(() => FasterVersionedStore.Open(options));

        Assert.Contains("store memory 12 MiB is too small", error.Message, StringComparison.Ordinal);
        Assert.Contains("at least 16 MiB", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(options.Directory));
    }

    [Fact]
    public async Task GetAsync_DataManyTimesTheMemoryBudget_ConcurrentReadersGetEveryColdKeyBackAndReopenRecoversIt()
    {
        var store = FasterVersionedStore.Open(Options);
        var commands = new StoreCommands(store);
        var tokenHash = SHA256.HashData("a token created before the fill"u8);
        var token = commands.NewCommand();
        token.CreateToken = new CreateTokenOp { TokenHash = ByteString.CopyFrom(tokenHash), Accessor = "acc-1", Name = "early", Policies = { "admin" } };
        Assert.Equal(ResultCode.ResultOk, (await commands.ApplyAsync(token, timeout.Token)).Code);
        var policy = commands.NewCommand();
        policy.PutPolicy = new PutPolicyOp { Name = "readers" };
        Assert.Equal(ResultCode.ResultOk, (await commands.ApplyAsync(policy, timeout.Token)).Code);

        for (var round = 1; round <= Rounds; round++)
        {
            for (var i = 0; i < Keys; i++)
            {
                var command = commands.NewCommand();
                command.Put = new PutOp { Key = StoreCommands.Path(Key(i)).ToStoreKey(), Value = ByteString.CopyFromUtf8(Value(i, round)) };
                var result = await commands.ApplyAsync(command, timeout.Token);
                Assert.Equal(ResultCode.ResultOk, result.Code);
            }
        }

        Assert.True(store.LogBytes > 10 * Budget, $"the log holds {store.LogBytes} bytes, not many times the {Budget}-byte budget");
        Assert.Equal(Keys * Rounds, store.Revision);
        AssertMetadataInMemory(store, tokenHash);
        await ReadSamplesAsync(store, seed: 1);

        await store.CheckpointAsync(timeout.Token);
        store.Dispose();
        store = FasterVersionedStore.Open(Options);
        try
        {
            Assert.Equal(Keys * Rounds, store.Revision);
            AssertMetadataInMemory(store, tokenHash);
            await ReadSamplesAsync(store, seed: 2);
            var history = await store.HistoryAsync(StoreCommands.Path(Key(7)), timeout.Token);
            Assert.Equal(Enumerable.Range(1, Rounds).Select(r => Value(7, r)), history.Select(StoreCommands.Text));
            var page = await store.ListAsync("default", "default", "key.001", null, 50, includeDeleted: false, timeout.Token);
            Assert.Equal(Enumerable.Range(100, 50).Select(i => Value(i, Rounds)), page.Items.Select(StoreCommands.Text));
        }
        finally
        {
            store.Dispose();
        }
    }

    // Reads random keys at random versions (all far down the log, evicted long ago) from many
    // concurrent readers and checks every value.
    private async Task ReadSamplesAsync(FasterVersionedStore store, int seed)
    {
        var readers = Enumerable.Range(0, Readers).Select(reader => Task.Run(async () =>
        {
            var random = new Random(seed * 1000 + reader);
            for (var s = 0; s < SamplesPerReader; s++)
            {
                var i = random.Next(Keys);
                var round = random.Next(1, Rounds + 1);
                var version = await store.GetAsync(StoreCommands.Path(Key(i)), round == Rounds ? 0 : round, timeout.Token);
                Assert.NotNull(version);
                Assert.Equal(round, version.Version);
                Assert.Equal(Value(i, round), StoreCommands.Text(version));
            }
        }));
        await Task.WhenAll(readers);
    }

    private static void AssertMetadataInMemory(FasterVersionedStore store, byte[] tokenHash)
    {
        Assert.Equal("early", store.FindToken(tokenHash)?.Name);
        Assert.Null(store.FindToken(SHA256.HashData("another"u8)));
        Assert.NotNull(store.FindPolicy("readers"));
        Assert.Equal(["dev", "default"], store.InheritanceChain("default", "dev"));
    }

    private static string Key(int i) => $"key.{i:D5}";

    // A JSON string of ValueBytes characters that names its key and round.
    private static string Value(int i, int round)
    {
        var head = $"\"{i}-{round}-";
        return new StringBuilder(head).Append('x', ValueBytes - head.Length - 1).Append('"').ToString();
    }

    public void Dispose()
    {
        timeout.Dispose();
        if (Directory.Exists(root))
            Directory.Delete(root, recursive: true);
    }
}
