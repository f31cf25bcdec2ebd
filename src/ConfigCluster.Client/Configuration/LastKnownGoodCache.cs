using System.Text.Json;

namespace ConfigCluster.Client.Configuration;

/// <summary>
/// The last-known-good file: a flat JSON object of configuration keys and values, written
/// atomically (temp file, then rename) and readable only by the owner on Unix. Callers pass only
/// non-secret entries; nothing here can tell a secret from a plain value.
/// </summary>
public static class LastKnownGoodCache
{
    /// <summary>Writes <paramref name="data"/> to <paramref name="file"/>, replacing it whole.</summary>
    /// <exception cref="IOException">The file or its folder cannot be written.</exception>
    /// <exception cref="UnauthorizedAccessException">The file or its folder cannot be written.</exception>
    public static void Write(string file, IReadOnlyDictionary<string, string?> data)
    {
        ArgumentException.ThrowIfNullOrEmpty(file);
        ArgumentNullException.ThrowIfNull(data);
        var full = Path.GetFullPath(file);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = $"{full}.{Environment.ProcessId}.tmp";
        var streamOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            streamOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temp, streamOptions))
        {
            JsonSerializer.Serialize(stream, data.OrderBy(static kv => kv.Key, StringComparer.Ordinal).ToDictionary(static kv => kv.Key, static kv => kv.Value), CacheJson.Options);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, full, overwrite: true);
    }

    /// <summary>The cached entries, or null when there is no file or it is not a readable cache.</summary>
    public static Dictionary<string, string?>? Read(string? file)
    {
        if (string.IsNullOrEmpty(file) || !File.Exists(file))
            return null;
        try
        {
            using var stream = File.OpenRead(file);
            var data = JsonSerializer.Deserialize<Dictionary<string, string?>>(stream, CacheJson.Options);
            return data is null ? null : new Dictionary<string, string?>(data, StringComparer.OrdinalIgnoreCase);
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    private static class CacheJson
    {
        public static readonly JsonSerializerOptions Options = new() { WriteIndented = true };
    }
}
