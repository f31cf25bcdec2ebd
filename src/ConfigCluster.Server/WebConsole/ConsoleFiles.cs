using System.Collections.Frozen;
using System.Reflection;

namespace ConfigCluster.Server.WebConsole;

/// <summary>
/// The web console's static files (HTML, CSS, ES modules), embedded in the server assembly under
/// <c>ui/</c> (see the project file), so every node serves the same console with no files on disk
/// and no network at run time.
/// </summary>
internal static class ConsoleFiles
{
    private const string Prefix = "ui/";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".json"] = "application/json",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    // Resource name (ui/...) -> bytes, read once: the files are small and never change in a running node.
    private static readonly FrozenDictionary<string, byte[]> Files = Load();

    /// <summary>The embedded file at <paramref name="path"/> (relative to <c>/ui/</c>) and its content type, if there is one.</summary>
    public static bool TryGet(string path, out byte[] content, out string contentType)
    {
        contentType = "";
        if (!Files.TryGetValue(Prefix + path, out content!) || !ContentTypes.TryGetValue(Path.GetExtension(path), out var type))
            return false;
        contentType = type;
        return true;
    }

    /// <summary>The paths (relative to <c>/ui/</c>) of every embedded file.</summary>
    public static IEnumerable<string> Paths => Files.Keys.Select(static k => k[Prefix.Length..]);

    private static FrozenDictionary<string, byte[]> Load()
    {
        var assembly = typeof(ConsoleFiles).Assembly;
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(static n => n.StartsWith(Prefix, StringComparison.Ordinal)))
            files[name] = Read(assembly, name);
        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static byte[] Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy); // once, at first use, from memory mapped into the process (not a request path)
        return copy.ToArray();
    }
}
