using ConfigCluster.Core.Commands;
using Google.Protobuf;

namespace ConfigCluster.Core.Tests;

public sealed class CommandCodecTests
{
    public static TheoryData<Command> Commands => new()
    {
        new Command
        {
            RequestId = "req-1",
            TimestampUnixMs = 1_700_000_000_123,
            Author = "svc-deploy",
            Put = new PutOp
            {
                Key = new StoreKey { Namespace = "team", Environment = "prod", Key = "db.host" },
                Value = ByteString.CopyFromUtf8("\"db-1\""),
                Secret = true,
                HasExpectedVersion = true,
                ExpectedVersion = 0,
                Encrypted = true,
                SealedForVersion = 4,
                Fingerprint = ByteString.CopyFrom(1, 2, 3),
            },
        },
        new Command { Author = "a", Delete = new DeleteOp { Key = new StoreKey { Key = "k" }, HasExpectedVersion = true, ExpectedVersion = 7, Mask = true } },
        new Command { Author = "a", Rollback = new RollbackOp { Key = new StoreKey { Key = "k" }, ToVersion = 2 } },
        new Command
        {
            ChangeSet = new ChangeSetOp
            {
                Message = "release 42",
                Items =
                {
                    new ChangeSetItem { Put = new PutOp { Key = new StoreKey { Key = "a" }, Value = ByteString.CopyFromUtf8("1") } },
                    new ChangeSetItem { Delete = new DeleteOp { Key = new StoreKey { Key = "b" } } },
                },
            },
        },
        new Command(),
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public void Decode_EncodedCommand_RoundTrips(Command command)
    {
        var payload = CommandCodec.Encode(command);

        Assert.Equal(CommandCodec.FormatVersion, payload[0]);
        Assert.Equal(command, CommandCodec.Decode(payload));
    }

    [Fact]
    public void Encode_Null_ThrowsArgumentNull()
    {
        Assert.Throws<ArgumentNullException>(() => CommandCodec.Encode(null!));
    }

    [Fact]
    public void Decode_Empty_ThrowsInvalidData()
    {
        var e = Assert.Throws<InvalidDataException>(() => CommandCodec.Decode([]));
        Assert.Contains("empty", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(0xFF)]
    public void Decode_UnknownFormatVersion_ThrowsInvalidData(byte version)
    {
        var payload = CommandCodec.Encode(new Command { Author = "a" });
        payload[0] = version;

        Assert.Throws<InvalidDataException>(() => CommandCodec.Decode(payload));
    }

    [Theory]
    [InlineData(new byte[] { CommandCodec.FormatVersion, 0xFF, 0xFF, 0xFF })] // unterminated varint
    [InlineData(new byte[] { CommandCodec.FormatVersion, 0x0F })] // wire type 7 does not exist
    [InlineData(new byte[] { CommandCodec.FormatVersion, 0x1A, 0x05, 0x61 })] // string longer than the payload
    [InlineData(new byte[] { CommandCodec.FormatVersion, 0x1A, 0x02, 0xC3, 0x28 })] // author is not UTF-8
    [InlineData(new byte[] { CommandCodec.FormatVersion, 0x00 })] // field number 0
    public void Decode_MalformedProtobuf_ThrowsInvalidData(byte[] payload)
    {
        var e = Assert.Throws<InvalidDataException>(() => CommandCodec.Decode(payload));
        Assert.IsType<InvalidProtocolBufferException>(e.InnerException);
    }

    [Fact]
    public void Decode_TruncatedPayload_ThrowsInvalidData()
    {
        var payload = CommandCodec.Encode(new Command { Author = "a", Put = new PutOp { Key = new StoreKey { Key = "k" }, Value = ByteString.CopyFrom(new byte[100]) } });

        Assert.Throws<InvalidDataException>(() => CommandCodec.Decode(payload.AsSpan(0, payload.Length - 10)));
    }
}
