using ConfigCluster.Core.Commands;

namespace ConfigCluster.Core.Tests;

public sealed class CommandFormatTests
{
    [Fact]
    public void Required_EveryOperationOfTheFirstRelease_NeedsTheInitialFormat()
    {
        // Every operation case that exists in this build, minus the ones added after the first release.
        var initial = new HashSet<string>(StringComparer.Ordinal)
        {
            "Put", "Delete", "Rollback", "AddDataKey", "Rewrap", "ChangeSet", "SetEnvironment", "CreateToken", "RevokeToken",
            "PutPolicy", "DeletePolicy", "Checkpoint", "SetRetention", "Compact", "AuditCheckpoint",
        };
        foreach (var field in Command.Descriptor.Oneofs.Single(static o => o.Name == "op").Fields)
        {
            var command = new Command();
            var message = (Google.Protobuf.IMessage)Activator.CreateInstance(field.MessageType.ClrType)!;
            field.Accessor.SetValue(command, message);
            var expected = initial.Contains(command.OpCase.ToString()) ? CommandFormat.Initial : CommandFormat.Supported;
            Assert.True(expected == CommandFormat.Required(command), $"{command.OpCase} needs format {CommandFormat.Required(command)}, expected {expected}");
        }
    }

    [Fact]
    public void Required_ATokenBoundToNetworksOrPeriodic_NeedsTheSupportedFormat()
    {
        Assert.Equal(CommandFormat.Initial, CommandFormat.Required(new Command { CreateToken = new CreateTokenOp { TtlMs = 1000 } }));
        Assert.Equal(CommandFormat.Supported, CommandFormat.Required(new Command { CreateToken = new CreateTokenOp { BoundCidrs = { "10.0.0.0/8" } } }));
        Assert.Equal(CommandFormat.Supported, CommandFormat.Required(new Command { CreateToken = new CreateTokenOp { PeriodMs = 1000 } }));
    }

    [Fact]
    public void Of_CommandWrittenBeforeFormats_IsInitial()
    {
        Assert.Equal(CommandFormat.Initial, CommandFormat.Of(new Command()));
        Assert.True(CommandFormat.CanApply(new Command { Format = CommandFormat.Supported }));
        Assert.False(CommandFormat.CanApply(new Command { Format = CommandFormat.Supported + 1 }));
    }
}
