using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Storage;
using Google.Protobuf;

namespace ConfigCluster.Storage.Tests;

/// <summary>Builds commands and applies them at increasing Raft indexes, as the log would.</summary>
internal sealed class StoreCommands(IVersionedStore store)
{
    private long index = store.AppliedIndex;

    public static KeyPath Path(string key, string env = "default", string ns = "default")
        => KeyPath.TryCreate(ns, env, key, out var path, out var error) ? path : throw new ArgumentException(error);

    public CommandResult Apply(Command command) => store.Apply(command, ++index, 1);

    public CommandResult Put(string key, string json, long? expected = null, string env = "default", string ns = "default", string author = "tester")
    {
        var put = new PutOp { Key = Path(key, env, ns).ToStoreKey(), Value = ByteString.CopyFromUtf8(json) };
        if (expected is { } e)
        {
            put.HasExpectedVersion = true;
            put.ExpectedVersion = e;
        }

        return Apply(new Command { Author = author, TimestampUnixMs = 1_700_000_000_000 + index, Put = put });
    }

    public CommandResult Delete(string key, long? expected = null)
    {
        var delete = new DeleteOp { Key = Path(key).ToStoreKey() };
        if (expected is { } e)
        {
            delete.HasExpectedVersion = true;
            delete.ExpectedVersion = e;
        }

        return Apply(new Command { Author = "tester", TimestampUnixMs = 1_700_000_000_000 + index, Delete = delete });
    }

    public CommandResult Rollback(string key, long toVersion)
        => Apply(new Command { Author = "tester", TimestampUnixMs = 1_700_000_000_000 + index, Rollback = new RollbackOp { Key = Path(key).ToStoreKey(), ToVersion = toVersion } });
}
