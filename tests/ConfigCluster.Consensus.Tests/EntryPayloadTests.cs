using ConfigCluster.Core.Commands;

namespace ConfigCluster.Consensus.Tests;

public sealed class EntryPayloadTests
{
    [Fact]
    public void Encode_OneCommand_IsTheSingleCommandFormat()
    {
        var command = LogHarness.Put("a", "1", requestId: "r");

        var payload = EntryPayload.Encode([command]);

        Assert.Equal(CommandCodec.Encode(command), payload);
        Assert.Equal(command, Assert.Single(EntryPayload.Decode(payload)));
    }

    [Fact]
    public void Decode_Batch_ReturnsTheCommandsInOrder()
    {
        Command[] commands = [LogHarness.Put("a", "1", "r1"), LogHarness.Put("b", new string('x', 300), "r2"), LogHarness.Put("c", "3", "r3")];

        var decoded = EntryPayload.Decode(EntryPayload.Encode(commands));

        Assert.Equal(commands, decoded);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(20)]
    public void Decode_TruncatedBatch_ThrowsInvalidData(int cut)
    {
        var payload = EntryPayload.Encode([LogHarness.Put("a", "1"), LogHarness.Put("b", "2")]);

        Assert.Throws<InvalidDataException>(() => EntryPayload.Decode(payload.AsSpan(0, payload.Length - cut)));
    }

    [Fact]
    public void Decode_BatchWithTrailingBytes_ThrowsInvalidData()
    {
        byte[] payload = [.. EntryPayload.Encode([LogHarness.Put("a", "1"), LogHarness.Put("b", "2")]), 0];

        Assert.Throws<InvalidDataException>(() => EntryPayload.Decode(payload));
    }
}
