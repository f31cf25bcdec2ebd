using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using ConfigCluster.Storage.Records;

namespace ConfigCluster.Storage;

internal sealed partial class HotMetadata
{
    // Machine-login records by path (approle/role/NAME, approle/role-id/ID, approle/secret/NAME\0HEX,
    // jwt/config, jwt/role/NAME), as stored; parsed by the store's accessors.
    private readonly ConcurrentDictionary<string, byte[]> authRecords = new(StringComparer.Ordinal);
    private LogClockReading logClock = new(0, 0);

    /// <summary>The log clock and the local monotonic moment this node applied (or loaded) it.</summary>
    public LogClockReading LogClock => Volatile.Read(ref logClock);

    /// <summary>A machine-login record by path, or null (an empty record is a deleted one).</summary>
    public byte[]? FindAuth(string path) => authRecords.GetValueOrDefault(path);

    /// <summary>The paths of machine-login records starting with <paramref name="prefix"/>, in ordinal order.</summary>
    public List<string> AuthPaths(string prefix)
    {
        var paths = authRecords.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        paths.Sort(StringComparer.Ordinal);
        return paths;
    }

    private void ObserveAuth(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (key[0] == RecordKeys.LogClockTag)
        {
            if (!value.IsEmpty)
                Volatile.Write(ref logClock, new LogClockReading(LogClockRecord.Parser.ParseFrom(value).UnixMs, Stopwatch.GetTimestamp()));
            return;
        }

        var path = Encoding.UTF8.GetString(key[1..]);
        if (value.IsEmpty)
            authRecords.TryRemove(path, out _);
        else
            authRecords[path] = value.ToArray();
    }
}

/// <summary>
/// The log clock as this node holds it: the newest leader time entered in the log
/// (<paramref name="UnixMs"/>, 0 = none yet) and the <see cref="Stopwatch"/> timestamp at which this
/// node applied it (local and monotonic: it measures how long ago, never what time it is).
/// </summary>
public sealed record LogClockReading(long UnixMs, long AppliedAtTimestamp);
