namespace ConfigCluster.Server.Tests.Harness;

/// <summary>Finds the built server (the test project builds it first).</summary>
internal static class ServerBinary
{
#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif

    // First: the properties below are found from it (static initializers run in text order).
    /// <summary>The repository root (the folder holding ConfigCluster.sln).</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    public static string Path { get; } = Find("ConfigCluster.Server", "ConfigCluster.Server.dll");

    /// <summary>The built ccctl.</summary>
    public static string Cli { get; } = Find("ConfigCluster.Cli", "ccctl.dll");

    /// <summary>A built output of a project of the repository (<paramref name="folder"/> is relative to its root).</summary>
    public static string Find(string folder, string project, string dll)
    {
        var path = System.IO.Path.Combine(RepositoryRoot, folder, project, "bin", Configuration, "net10.0", dll);
        return File.Exists(path) ? path : throw new InvalidOperationException($"not built: {path}");
    }

    private static string Find(string project, string dll) => Find("src", project, dll);

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "ConfigCluster.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (ConfigCluster.sln) above " + AppContext.BaseDirectory);
    }
}
