using Google.Protobuf;

namespace ConfigCluster.Core.Commands;

/// <summary>Encodes and decodes log entry payloads.</summary>
public static class CommandCodec
{
    /// <summary>The first byte of every payload: the command format version.</summary>
    public const byte FormatVersion = 1;

    /// <summary>Encodes a command as one log entry payload.</summary>
    public static byte[] Encode(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var size = command.CalculateSize();
        var buffer = new byte[size + 1];
        buffer[0] = FormatVersion;
        command.WriteTo(buffer.AsSpan(1));
        return buffer;
    }

    /// <summary>Decodes a log entry payload.</summary>
    /// <exception cref="InvalidDataException">The payload is not a command of a known format.</exception>
    public static Command Decode(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty || payload[0] != FormatVersion)
            throw new InvalidDataException($"unknown command format {(payload.IsEmpty ? "(empty)" : payload[0].ToString(System.Globalization.CultureInfo.InvariantCulture))}");
        try
        {
            return Command.Parser.ParseFrom(payload[1..]);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException("malformed command payload", e);
        }
    }
}
