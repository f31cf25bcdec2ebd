using ConfigCluster.Core.Commands;
using ConfigCluster.Storage.Records;
using Google.Protobuf;

namespace ConfigCluster.Storage;

/// <summary>A node's latest audit checkpoint as replicated: its chain had <paramref name="Lines"/> lines, the last with MAC <paramref name="Mac"/>.</summary>
public sealed record StoredAuditCheckpoint(long Lines, string Mac, DateTimeOffset At);

public sealed partial class FasterVersionedStore
{
    /// <inheritdoc/>
    public StoredAuditCheckpoint? FindAuditCheckpoint(string nodeId)
    {
        ArgumentNullException.ThrowIfNull(nodeId);
        return Volatile.Read(ref current).Metadata.FindAuditCheckpoint(nodeId);
    }

    // Keeps the checkpoint with the most lines: a delayed, older one never replaces a newer one.
    private CommandResult ApplyAuditCheckpoint(Command command, AuditCheckpointOp op)
    {
        if (op.NodeId.Length is 0 or > 128 || op.LineCount <= 0 || op.ChainMac.Length != 64 || !op.ChainMac.All(Uri.IsHexDigit))
            return Invalid("an audit checkpoint needs a node id, a positive line count and a 64-digit hex MAC");
        var key = RecordKeys.AuditCheckpoint(op.NodeId);
        if (current.Metadata.FindAuditCheckpoint(op.NodeId) is { } recorded && recorded.Lines >= op.LineCount)
            return new CommandResult { Code = ResultCode.ResultOk, Revision = revision, Message = "a checkpoint at or past this line is recorded" };
        UpsertMetadata(key, new AuditCheckpointRecord { LineCount = op.LineCount, ChainMac = op.ChainMac, TimestampUnixMs = command.TimestampUnixMs }.ToByteArray());
        return new CommandResult { Code = ResultCode.ResultOk, Revision = revision, Version = op.LineCount };
    }
}
