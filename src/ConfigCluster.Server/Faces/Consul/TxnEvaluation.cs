using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Server.Acl;
using ConfigCluster.Storage;
using Google.Protobuf;

namespace ConfigCluster.Server.Faces.Consul;

/// <summary>
/// One evaluation of a transaction's operations, in order, over what this node read (each key
/// read once and pinned at that version) and the transaction's own earlier writes.
/// </summary>
internal sealed class TxnEvaluation
{
    // Per key: the version read (pinned; null: absent or deleted), the state now, and whether the transaction wrote it.
    private readonly Dictionary<string, KeyState> keys = new(StringComparer.Ordinal);
    private readonly List<(TxnOp Op, string Key)> resultOps = [];

    private TxnEvaluation()
    {
    }

    /// <summary>Failures, by operation index, as Consul phrases them.</summary>
    public List<(int OpIndex, string What)> Errors { get; } = [];

    /// <summary>Whether any operation changes a key.</summary>
    public bool HasWrites => keys.Values.Any(static state => state.Written);

    public static async Task<TxnEvaluation> RunAsync(IReadOnlyList<TxnOp> ops, ConsulKv consul, CancellationToken token)
    {
        var evaluation = new TxnEvaluation();
        foreach (var op in ops)
            await evaluation.ApplyAsync(op, consul, token);
        return evaluation;
    }

    private async Task ApplyAsync(TxnOp op, ConsulKv consul, CancellationToken token)
    {
        if (op.IsTree)
        {
            foreach (var key in await TreeKeysAsync(op.Key, consul, token))
            {
                var state = keys[key];
                if (state.Current is null)
                    continue;
                if (op.Verb == "delete-tree")
                {
                    if (!consul.Allows(Capability.Delete, key))
                    {
                        Errors.Add((op.OpIndex, "Permission denied"));
                        return;
                    }

                    state.Current = null;
                    state.Written = true;
                }
                else if (consul.Allows(Capability.Read, key))
                    resultOps.Add((op, key));
            }

            return;
        }

        var current = await StateAsync(op.Key, consul, token);
        var modifyIndex = current.Current?.ModifyIndex ?? 0;
        switch (op.Verb)
        {
            case "get":
                if (current.Current is null)
                    Errors.Add((op.OpIndex, $"key \"{op.Key}\" doesn't exist"));
                else
                    resultOps.Add((op, op.Key));
                break;
            case "check-index":
                if (current.Current is null)
                    Errors.Add((op.OpIndex, $"key \"{op.Key}\" doesn't exist"));
                else if (modifyIndex != op.Index)
                    Errors.Add((op.OpIndex, $"current modify index {modifyIndex} != {op.Index}"));
                break;
            case "check-not-exists":
                if (current.Current is not null)
                    Errors.Add((op.OpIndex, $"key \"{op.Key}\" exists"));
                break;
            case "cas" when op.Index != modifyIndex || (op.Index == 0 && current.Current is not null):
                Errors.Add((op.OpIndex, $"failed to set key \"{op.Key}\", index is stale"));
                break;
            case "set" or "cas":
                current.Current = new ConsulEntry(op.Key, op.Flags, op.Value ?? [], current.Current?.CreateIndex ?? 0, 0);
                current.Written = true;
                resultOps.Add((op, op.Key));
                break;
            case "delete-cas" when current.Current is null || op.Index != modifyIndex:
                Errors.Add((op.OpIndex, $"failed to delete key \"{op.Key}\", index is stale"));
                break;
            case "delete" or "delete-cas":
                if (current.Current is not null)
                {
                    current.Current = null;
                    current.Written = true;
                }

                break;
        }
    }

    /// <summary>The change-set: each written key's final state, each key only read as a check, all pinned.</summary>
    public ChangeSetOp ToChangeSet()
    {
        var changeSet = new ChangeSetOp { Message = "consul transaction" };
        foreach (var (key, state) in keys)
        {
            KeyPath.TryCreate(ConsulKeys.Namespace, ConsulKeys.Environment, key, out var path, out _);
            var storeKey = path.ToStoreKey();
            if (!state.Written)
                changeSet.Items.Add(new ChangeSetItem { Check = new CheckOp { Key = storeKey, ExpectedVersion = state.PinnedVersion } });
            else if (state.Current is { } entry)
                changeSet.Items.Add(new ChangeSetItem { Put = new PutOp { Key = storeKey, Value = ByteString.CopyFrom(entry.Value), ValueKind = ValueKind.Bytes, Flags = entry.Flags, HasExpectedVersion = true, ExpectedVersion = state.PinnedVersion } });
            else if (state.PinnedVersion > 0)
                changeSet.Items.Add(new ChangeSetItem { Delete = new DeleteOp { Key = storeKey, HasExpectedVersion = true, ExpectedVersion = state.PinnedVersion } });
            else
                changeSet.Items.Add(new ChangeSetItem { Check = new CheckOp { Key = storeKey, ExpectedVersion = 0 } });
        }

        return changeSet;
    }

    /// <summary>The results Consul gives (gets, get-trees, sets), with writes at <paramref name="revision"/> (0: nothing written).</summary>
    public IReadOnlyList<ConsulEntry> Results(long revision)
    {
        var results = new List<ConsulEntry>(resultOps.Count);
        foreach (var (op, key) in resultOps)
        {
            var state = keys[key];
            var entry = op.Verb is "set" or "cas"
                ? new ConsulEntry(key, op.Flags, null, state.Read?.CreateIndex is > 0 and var created ? created : revision, revision)
                : state.Written && state.Current is { } written ? written with { ModifyIndex = revision, CreateIndex = state.Read?.CreateIndex ?? revision } : state.Read ?? state.Current!;
            results.Add(entry);
        }

        return results;
    }

    private async Task<KeyState> StateAsync(string key, ConsulKv consul, CancellationToken token)
    {
        if (keys.TryGetValue(key, out var state))
            return state;
        KeyPath.TryCreate(ConsulKeys.Namespace, ConsulKeys.Environment, key, out var path, out _);
        var head = await consul.HeadAsync(path, token);
        state = head is { IsDeletion: false } live
            ? new KeyState(live.Version, ConsulEntry.From(live, withValue: true))
            : new KeyState(0, null);
        keys[key] = state;
        return state;
    }

    // The keys under a prefix: those stored (each read and pinned) and those this transaction wrote.
    private async Task<List<string>> TreeKeysAsync(string prefix, ConsulKv consul, CancellationToken token)
    {
        foreach (var version in await consul.TreeAsync(prefix, includeDeleted: false, token))
        {
            if (!keys.ContainsKey(version.Path.Key))
                keys[version.Path.Key] = new KeyState(version.Version, ConsulEntry.From(version, withValue: true));
        }

        var names = keys.Keys.Where(key => key.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    private sealed class KeyState(long pinnedVersion, ConsulEntry? read)
    {
        public long PinnedVersion { get; } = pinnedVersion;

        public ConsulEntry? Read { get; } = read;

        public ConsulEntry? Current { get; set; } = read;

        public bool Written { get; set; }
    }
}
