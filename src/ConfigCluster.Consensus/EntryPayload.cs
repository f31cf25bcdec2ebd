using ConfigCluster.Core.Commands;
using Google.Protobuf;

namespace ConfigCluster.Consensus;

/// <summary>
/// The payload of a command log entry: one command (<see cref="CommandCodec"/>, format 1, as
/// every entry written before batching) or a batch of commands the leader packed into one entry
/// (format 2: the format byte, a varint count, then each command as a varint length and its
/// format-1 encoding). Apply works through a batch in order, so every node gets the same results.
/// </summary>
public static class EntryPayload
{
    /// <summary>First byte of a batch payload.</summary>
    public const byte BatchFormat = 2;

    /// <summary>Encodes <paramref name="commands"/> (at least one) as one entry payload.</summary>
    public static byte[] Encode(IReadOnlyList<Command> commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        ArgumentOutOfRangeException.ThrowIfZero(commands.Count);
        if (commands.Count == 1)
            return CommandCodec.Encode(commands[0]);

        // CalculateSize caches each message's size, so WriteTo below does not compute it again.
        var total = 1 + CodedOutputStream.ComputeUInt32Size((uint)commands.Count);
        foreach (var command in commands)
        {
            var length = command.CalculateSize() + 1;
            total += CodedOutputStream.ComputeLengthSize(length) + length;
        }

        var buffer = new byte[total];
        var output = new CodedOutputStream(buffer);
        output.WriteRawTag(BatchFormat);
        output.WriteUInt32((uint)commands.Count);
        foreach (var command in commands)
        {
            output.WriteLength(command.CalculateSize() + 1);
            output.WriteRawTag(CommandCodec.FormatVersion);
            command.WriteTo(output);
        }

        output.CheckNoSpaceLeft();
        return buffer;
    }

    /// <summary>Decodes an entry payload into its commands, in order.</summary>
    /// <exception cref="InvalidDataException">The payload is neither a command nor a batch of commands.</exception>
    public static IReadOnlyList<Command> Decode(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty || payload[0] != BatchFormat)
            return [CommandCodec.Decode(payload)];

        var position = 1;
        var count = ReadVarint(payload, ref position);
        if (count < 2 || count > payload.Length)
            throw new InvalidDataException($"a batch entry holds {count} commands");
        var commands = new Command[count];
        for (var i = 0; i < commands.Length; i++)
        {
            var length = ReadVarint(payload, ref position);
            if (length > payload.Length - position)
                throw new InvalidDataException("a batch entry ends inside a command");
            commands[i] = CommandCodec.Decode(payload.Slice(position, length));
            position += length;
        }

        if (position != payload.Length)
            throw new InvalidDataException("a batch entry has bytes after its last command");
        return commands;
    }

    private static int ReadVarint(ReadOnlySpan<byte> payload, ref int position)
    {
        var value = 0;
        for (var shift = 0; shift < 32; shift += 7)
        {
            if (position >= payload.Length)
                throw new InvalidDataException("a batch entry ends inside a length");
            var b = payload[position++];
            value |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0)
                return value >= 0 ? value : throw new InvalidDataException("a batch entry has a negative length");
        }

        throw new InvalidDataException("a batch entry has a malformed length");
    }
}
