using ConfigCluster.Core.Commands;

namespace ConfigCluster.Storage.Tests;

// Audit checkpoints replicated through the log: per node, the one with the most lines is kept.
public abstract partial class VersionedStoreContractTests
{
    private static readonly string MacA = new('a', 64);
    private static readonly string MacB = new('b', 64);

    private static CommandResult ApplyAuditCheckpoint(StoreCommands commands, string node, long lines, string mac)
    {
        var command = commands.NewCommand("system:audit");
        command.AuditCheckpoint = new AuditCheckpointOp { NodeId = node, LineCount = lines, ChainMac = mac };
        return commands.Apply(command);
    }

    [Fact]
    public void Apply_AuditCheckpoints_KeepsTheLongestPerNode_AndSurvivesReopen()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        var revision = store.Revision;

        ApplyAuditCheckpoint(commands, "n1", 20, MacA);
        ApplyAuditCheckpoint(commands, "n1", 10, MacB);
        ApplyAuditCheckpoint(commands, "n2", 5, MacB);

        Assert.Equal((20L, MacA), (store.FindAuditCheckpoint("n1")!.Lines, store.FindAuditCheckpoint("n1")!.Mac));
        Assert.Equal(5, store.FindAuditCheckpoint("n2")!.Lines);
        Assert.Null(store.FindAuditCheckpoint("n3"));
        Assert.Equal(revision, store.Revision);
    }

    [Fact]
    public void Apply_MalformedAuditCheckpoint_IsRefusedAndChangesNothing()
    {
        var store = Open();
        var commands = new StoreCommands(store);

        Assert.Equal(ResultCode.ResultInvalid, ApplyAuditCheckpoint(commands, "n1", 0, MacA).Code);
        Assert.Equal(ResultCode.ResultInvalid, ApplyAuditCheckpoint(commands, "n1", 3, "not-hex").Code);
        Assert.Equal(ResultCode.ResultInvalid, ApplyAuditCheckpoint(commands, "", 3, MacA).Code);
        Assert.Null(store.FindAuditCheckpoint("n1"));
    }
}
