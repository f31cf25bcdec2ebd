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
    // the empty record), the key's head remembers its oldest kept version, and the store's
    // oldest watchable revision moves past every removed version.
    private CommandResult ApplyCompact(Command command, CompactOp op)
    {
        if (!KeyPath.TryValidateScope(op.Namespace, "namespace", out var error))
            return Invalid(error);
        if (GetRetention(op.Namespace) is not { } policy)
            return new CommandResult { Code = ResultCode.ResultOk, Revision = revision };

        var budget = op.MaxRemovals > 0 ? op.MaxRemovals : DefaultCompactionBatch;
        var cutoff = policy.MaxAge > TimeSpan.Zero ? command.TimestampUnixMs - (long)policy.MaxAge.TotalMilliseconds : long.MinValue;
        long removed = 0, highest = compactedRevision;
        var prefix = op.Namespace + "\0";
        foreach (var composite in current.Index.Range(prefix, prefix + char.MaxValue, int.MaxValue))
        {
            var parts = composite.Split('\0');
            if (!KeyPath.TryCreate(parts[0], parts[1], parts[2], out var path, out _) || ReadHead(path, forWrite: true) is not { } head)
                continue;
            var first = Math.Max(1, head.FirstVersion);
            var keepFrom = policy.MaxVersions > 0 ? Math.Max(first, head.LatestVersion - policy.MaxVersions + 1) : first;
            var next = first;
            for (var v = first; v < head.LatestVersion && removed < budget; v++)
            {
                var record = ReadVersion(path, v, forWrite: true);
                if (v >= keepFrom && record is not null && record.TimestampUnixMs >= cutoff)
                    break; // versions only get younger from here
                if (record is not null)
                {
                    WriterInstance.Upsert(RecordKeys.Version(path, v), []);
                    highest = Math.Max(highest, record.Revision);
                    removed++;
                }

                next = v + 1;
            }

            if (next != first)
            {
                head.FirstVersion = next;
                WriterInstance.Upsert(RecordKeys.Head(path), head.ToByteArray());
            }

            if (removed >= budget)
                return Compacted(removed, highest, more: true);
        }

        return Compacted(removed, highest, more: false);
    }

    private CommandResult Compacted(long removed, long highest, bool more)
    {
        Volatile.Write(ref compactedRevision, highest);
        return new CommandResult { Code = ResultCode.ResultOk, Revision = revision, Compacted = removed, More = more };
    }
}
