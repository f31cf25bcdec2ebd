using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Storage;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConfigCluster.Consensus.Tests;

/// <summary>
/// A single-member log: DotNext's WriteAheadLog over a <see cref="StoreStateMachine"/> and a
/// FASTER store in a temporary directory. Entries are appended and committed directly, so
/// apply runs on DotNext's own applier exactly as on a node.
/// </summary>
internal sealed class LogHarness : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("cc-consensus-");
    private readonly FasterVersionedStore store;
    private readonly WriteAheadLog wal;

    public LogHarness(long snapshotInterval = 10_000, Func<IVersionedStore, IVersionedStore>? wrap = null)
    {
        store = FasterVersionedStore.Open(new StoreOptions { Directory = Path.Combine(root.FullName, "store"), IndexSizeBytes = 1L << 20 });
        StateMachine = new StoreStateMachine(wrap?.Invoke(store) ?? store, snapshotInterval, Path.Combine(root.FullName, "tmp"), NullLogger<StoreStateMachine>.Instance);
        wal = new WriteAheadLog(new WriteAheadLog.Options { Location = Path.Combine(root.FullName, "wal") }, StateMachine);
    }

    public StoreStateMachine StateMachine { get; }

    public IVersionedStore Store => store;

    public long LastAppliedIndex => wal.LastAppliedIndex;

    public static Command Put(string key, string json, string requestId = "")
        => new()
        {
            RequestId = requestId,
            Author = "tester",
            TimestampUnixMs = 1_700_000_000_000,
            Put = new PutOp
            {
                Key = (KeyPath.TryCreate(KeyPath.DefaultScope, KeyPath.DefaultScope, key, out var path, out var error) ? path : throw new ArgumentException(error)).ToStoreKey(),
                Value = ByteString.CopyFromUtf8(json),
            },
        };

    /// <summary>Appends one entry holding <paramref name="commands"/>, commits it and waits until it is applied.</summary>
    public Task<CommandResult?[]> ApplyAsync(params Command[] commands) => ApplyAsync(proposedInTerm: 1, commands);

    /// <summary>
    /// Like <see cref="ApplyAsync(Command[])"/>, with a proposal context from <paramref name="proposedInTerm"/>
    /// (the entry itself is of term 1): another term stands for a proposal whose index a newer leader's entry took.
    /// </summary>
    public async Task<CommandResult?[]> ApplyAsync(long proposedInTerm, params Command[] commands)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var context = new ProposalContext(commands.Length) { Term = proposedInTerm };
        var index = await wal.AppendAsync(new BinaryLogEntry { Content = EntryPayload.Encode(commands), Term = 1, Context = context }, timeout.Token);
        await wal.CommitAsync(index, timeout.Token);
        await wal.WaitForApplyAsync(index, timeout.Token);
        return context.Results;
    }

    /// <summary>Appends one entry holding <paramref name="commands"/> and commits it, without waiting for apply.</summary>
    public async Task<long> AppendAndCommitAsync(params Command[] commands)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var index = await wal.AppendAsync(new BinaryLogEntry { Content = EntryPayload.Encode(commands), Term = 1, Context = new ProposalContext(commands.Length) { Term = 1 } }, timeout.Token);
        await wal.CommitAsync(index, timeout.Token);
        return index;
    }

    public async ValueTask DisposeAsync()
    {
        await wal.DisposeAsync();
        store.Dispose();
        root.Delete(recursive: true);
    }
}
