using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Storage.Records;
using Google.Protobuf;

namespace ConfigCluster.Storage;

/// <summary>A namespace's history retention: 0 means no limit.</summary>
public sealed record RetentionPolicy(long MaxVersions, TimeSpan MaxAge);

public sealed partial class FasterVersionedStore
{
    /// <summary>Versions one compaction entry removes at most, unless it asks for fewer.</summary>
    public const int DefaultCompactionBatch = 10_000;

    private long compactedRevision;
    // Change records up to this revision are emptied (see DropChanges); the writer's alone.
    private long changesDroppedThrough;

    /// <inheritdoc/>
    public RetentionPolicy? GetRetention(string ns) => Volatile.Read(ref current).Metadata.Retention.GetValueOrDefault(ns);

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, RetentionPolicy> Retention() => new Dictionary<string, RetentionPolicy>(Volatile.Read(ref current).Metadata.Retention, StringComparer.Ordinal);

    private CommandResult ApplySetRetention(SetRetentionOp op)
    {
        if (op.Namespace.Length == 0)
            return Invalid("a retention needs a namespace");
        if (!KeyPath.TryValidateScope(op.Namespace, "namespace", out var error))
            return Invalid(error);
        if (op.MaxVersions < 0 || op.MaxAgeMs < 0)
            return Invalid("retention limits must not be negative (0 = no limit)");
        UpsertMetadata(RecordKeys.Retention(op.Namespace), new RetentionRecord { MaxVersions = op.MaxVersions, MaxAgeMs = op.MaxAgeMs }.ToByteArray());
        return new CommandResult { Code = ResultCode.ResultOk, Revision = revision };
    }

    // Removes the versions the namespace's retention no longer keeps, judged at the command's
    // time. A removed version's record becomes empty (reads treat it as absent, snapshots carry
    // the empty record, log compaction drops it), the key's head remembers its oldest kept
    // version, and the store's oldest watchable revision moves past every removed version. The
    // new horizon is published before any record is emptied, so a watch replaying history that
    // finds a record gone also finds its revision below the horizon (a compacted error, never a
    // silent gap). Then the change records the horizon passed are emptied too (DropChanges).
    private CommandResult ApplyCompact(Command command, CompactOp op)
    {
        if (!KeyPath.TryValidateScope(op.Namespace, "namespace", out var error))
            return Invalid(error);
        var budget = op.MaxRemovals > 0 ? op.MaxRemovals : DefaultCompactionBatch;
        if (GetRetention(op.Namespace) is not { } policy)
            return Compacted(0, DropChanges(budget));

        var cutoff = policy.MaxAge > TimeSpan.Zero ? command.TimestampUnixMs - (long)policy.MaxAge.TotalMilliseconds : long.MinValue;
        long highest = compactedRevision;
        var removals = new List<byte[]>();
        var heads = new List<(KeyPath Path, KeyHead Head)>();
        var more = false;
        var prefix = op.Namespace + "\0";
        foreach (var composite in current.Index.Range(prefix, prefix + char.MaxValue, int.MaxValue))
        {
            var parts = composite.Split('\0');
            if (!KeyPath.TryCreate(parts[0], parts[1], parts[2], out var path, out _) || ReadHead(path, forWrite: true) is not { } head)
                continue;
            var first = Math.Max(1, head.FirstVersion);
            var keepFrom = policy.MaxVersions > 0 ? Math.Max(first, head.LatestVersion - policy.MaxVersions + 1) : first;
            var next = first;
            for (var v = first; v < head.LatestVersion && removals.Count < budget; v++)
            {
                var record = ReadVersion(path, v, forWrite: true);
                if (v >= keepFrom && record is not null && record.TimestampUnixMs >= cutoff)
                    break; // versions only get younger from here
                if (record is not null)
                {
                    removals.Add(RecordKeys.Version(path, v));
                    highest = Math.Max(highest, record.Revision);
                }

                next = v + 1;
            }

            if (next != first)
            {
                head.FirstVersion = next;
                heads.Add((path, head));
            }

            if (removals.Count >= budget)
            {
                more = true;
                break;
            }
        }

        Volatile.Write(ref compactedRevision, highest);
        foreach (var key in removals)
            WriterInstance.Upsert(key, []);
        foreach (var (path, head) in heads)
            WriterInstance.Upsert(RecordKeys.Head(path), head.ToByteArray());
        var changesLeft = DropChanges(budget);
        return Compacted(removals.Count, more || changesLeft);
    }

    // Empties the change records of revisions at or below the compacted revision, at most
    // `budget` of them (a first compaction after a long history may pass millions), oldest
    // first. Returns whether some are left for the next compaction entry.
    private bool DropChanges(int budget)
    {
        var until = Math.Min(compactedRevision, changesDroppedThrough + budget);
        for (var r = changesDroppedThrough + 1; r <= until; r++)
            WriterInstance.Upsert(RecordKeys.Change(r), []);
        changesDroppedThrough = Math.Max(changesDroppedThrough, until);
        return changesDroppedThrough < compactedRevision;
    }

    private CommandResult Compacted(long removed, bool more)
    {
        return new CommandResult { Code = ResultCode.ResultOk, Revision = revision, Compacted = removed, More = more };
    }
}
