using System.Globalization;
using System.Text;
using System.Text.Json;
using ConfigCluster.Contracts.Audit;

namespace ConfigCluster.Server.Acl;

/// <summary>One audit file opened for reading, up to what was durable when it was opened.</summary>
public sealed record AuditFileView(string Name, FileStream Stream, long Length) : IDisposable
{
    /// <inheritdoc/>
    public void Dispose() => Stream.Dispose();
}

public sealed partial class AuditLog
{
    private const string RotatedPrefix = "audit.";

    /// <summary>
    /// Opens every file of the chain, oldest first, for reading. Handles are opened at once, so a
    /// rotation meanwhile does not change what is read; the current file is read only up to its
    /// durable end, never a line still being written.
    /// </summary>
    public IReadOnlyList<AuditFileView> OpenForReading()
    {
        var views = new List<AuditFileView>();
        lock (stateGate)
        {
            try
            {
                foreach (var (_, file) in RotatedFiles())
                {
                    var rotated = OpenRead(file);
                    views.Add(new AuditFileView(System.IO.Path.GetFileName(file), rotated, rotated.Length));
                }

                if (File.Exists(Path))
                {
                    var current = OpenRead(Path);
                    views.Add(new AuditFileView(FileName, current, Math.Min(durableLength, current.Length)));
                }
            }
            catch
            {
                foreach (var view in views)
                    view.Dispose();
                throw;
            }
        }

        return views;
    }

    private static FileStream OpenRead(string file) => new(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.Asynchronous);

    private static string RotatedName(long number) => string.Create(CultureInfo.InvariantCulture, $"{RotatedPrefix}{number:D6}.jsonl");

    private IEnumerable<(long Number, string File)> RotatedFiles()
    {
        var files = new List<(long, string)>();
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, RotatedPrefix + "*.jsonl"))
        {
            var middle = System.IO.Path.GetFileName(file)[RotatedPrefix.Length..^".jsonl".Length];
            if (long.TryParse(middle, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
                files.Add((number, file));
        }

        files.Sort(static (a, b) => a.Item1.CompareTo(b.Item1));
        return files;
    }

    private long NextRotationNumber() => RotatedFiles().Select(static f => f.Number).DefaultIfEmpty(0).Max() + 1;

    // At start: where the chain ends (the current file's last line, else the newest rotated file's).
    private AuditCheckpoint RecoverTail()
    {
        if (File.Exists(Path))
        {
            durableLength = TruncatePartialLine(Path);
            if (LastLine(Path) is { } line)
                return CheckpointOf(line);
        }

        return RotatedFiles().LastOrDefault() is { File: { } newest } && LastLine(newest) is { } rotatedLine
            ? CheckpointOf(rotatedLine)
            : new AuditCheckpoint(0, AuditChain.Genesis);
    }

    // After reopening the current file following a failure: continue after the last complete line
    // the file holds, if a failed batch still reached it.
    private void AdoptTail()
    {
        var length = TruncatePartialLine(Path);
        var tail = LastLine(Path) is { } line ? CheckpointOf(line) : null;
        lock (stateGate)
        {
            durableLength = length;
            if (tail is not null && tail.Lines > durable.Lines)
                Volatile.Write(ref durable, tail);
        }
    }

    private static AuditCheckpoint CheckpointOf(string line)
    {
        // A damaged last line restarts the numbering; verification then reports the damage.
        if (!AuditChain.TryOpen(line, out var body, out var mac))
            return new AuditCheckpoint(0, AuditChain.Genesis);
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.TryGetProperty("seq", out var seq) && seq.TryGetInt64(out var lines)
                ? new AuditCheckpoint(lines, mac)
                : new AuditCheckpoint(0, AuditChain.Genesis);
        }
        catch (JsonException)
        {
            return new AuditCheckpoint(0, AuditChain.Genesis);
        }
    }

    // A crash between write and flush may leave half a line: drop it (its request was not served).
    private long TruncatePartialLine(string file)
    {
        using var handle = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        var length = handle.Length;
        var end = length;
        var one = new byte[1];
        while (end > 0)
        {
            handle.Position = end - 1;
            handle.ReadExactly(one);
            if (one[0] == (byte)'\n')
                break;
            end--;
        }

        if (end < length)
        {
            handle.SetLength(end);
            handle.Flush(flushToDisk: true);
            Log.DroppedPartialLine(logger, length - end);
        }

        return end;
    }

    // The last complete line of a file (which ends with a newline), or null when it has none.
    private static string? LastLine(string file)
    {
        using var handle = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var length = handle.Length;
        for (var window = Math.Min(length, 64L << 10); window > 0; window = Math.Min(length, window * 2))
        {
            var buffer = new byte[window];
            handle.Position = length - window;
            handle.ReadExactly(buffer);
            var text = Encoding.UTF8.GetString(buffer).TrimEnd('\n');
            var start = text.LastIndexOf('\n');
            if (start >= 0 || window == length)
                return text.Length == 0 ? null : text[(start + 1)..];
        }

        return null;
    }
}
