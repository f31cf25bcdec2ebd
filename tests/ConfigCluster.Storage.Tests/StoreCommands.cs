using System.Text;
using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using Google.Protobuf;

namespace ConfigCluster.Storage.Tests;

/// <summary>
/// Builds commands the way the accepting node does (author, timestamp) and applies each at the
/// next Raft index, as the log would. Continues after the store's <see cref="IVersionedStore.AppliedIndex"/>,
/// so a helper over a reopened store picks up where the recovered state stands.
/// </summary>
internal sealed class StoreCommands(IVersionedStore store)
{
    public const string DefaultAuthor = "tester";
    public const long Term = 1;

    private static readonly DateTimeOffset Epoch = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

    /// <summary>The Raft index of the last command this helper applied (or the store's applied index).</summary>
    public long LastIndex { get; private set; } = store.AppliedIndex;

    /// <summary>The timestamp the helper stamps on the command applied at <paramref name="index"/>.</summary>
    public static DateTimeOffset TimeAt(long index) => Epoch.AddSeconds(index);

    public static KeyPath Path(string key, string env = KeyPath.DefaultScope, string ns = KeyPath.DefaultScope)
        => KeyPath.TryCreate(ns, env, key, out var path, out var error) ? path : throw new ArgumentException(error, nameof(key));

    public static string Text(StoredVersion version) => Encoding.UTF8.GetString(version.Value.Span);

    /// <summary>A command stamped for the next index, without an operation.</summary>
    public Command NewCommand(string author = DefaultAuthor)
        => new() { Author = author, TimestampUnixMs = TimeAt(LastIndex + 1).ToUnixTimeMilliseconds() };

    public CommandResult Apply(Command command) => store.Apply(command, ++LastIndex, Term);

    /// <summary>Applies through the store's writer thread, as the Raft applier does.</summary>
    public Task<CommandResult> ApplyAsync(Command command, CancellationToken token)
    {
        token.ThrowIfCancellationRequested();
        var index = ++LastIndex;
        return store.RunOnWriterAsync(() => store.Apply(command, index, Term));
    }

    public CommandResult Put(string key, string json, long? expected = null, string env = KeyPath.DefaultScope, string ns = KeyPath.DefaultScope, string author = DefaultAuthor)
    {
        var put = new PutOp { Key = Path(key, env, ns).ToStoreKey(), Value = ByteString.CopyFromUtf8(json) };
        if (expected is { } e)
        {
            put.HasExpectedVersion = true;
            put.ExpectedVersion = e;
        }

        var command = NewCommand(author);
        command.Put = put;
        return Apply(command);
    }

    /// <summary>
    /// A put that arrives sealed for <paramref name="sealedForVersion"/>, as the accepting node
    /// sends a secret's value (the store keeps the bytes as given).
    /// </summary>
    public CommandResult PutSealed(string key, byte[] sealedValue, long sealedForVersion, bool secret)
    {
        var command = NewCommand();
        command.Put = new PutOp
        {
            Key = Path(key).ToStoreKey(),
            Value = ByteString.CopyFrom(sealedValue),
            Secret = secret,
            Encrypted = true,
            SealedForVersion = sealedForVersion,
        };
        return Apply(command);
    }

    public CommandResult Delete(string key, long? expected = null, string env = KeyPath.DefaultScope, string ns = KeyPath.DefaultScope)
    {
        var delete = new DeleteOp { Key = Path(key, env, ns).ToStoreKey() };
        if (expected is { } e)
        {
            delete.HasExpectedVersion = true;
            delete.ExpectedVersion = e;
        }

        var command = NewCommand();
        command.Delete = delete;
        return Apply(command);
    }

    public CommandResult Rollback(string key, long toVersion)
    {
        var command = NewCommand();
        command.Rollback = new RollbackOp { Key = Path(key).ToStoreKey(), ToVersion = toVersion };
        return Apply(command);
    }
}
