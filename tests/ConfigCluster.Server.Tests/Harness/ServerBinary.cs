namespace ConfigCluster.Server.Tests.Harness;

/// <summary>Finds the built server (the test project builds it first).</summary>
internal static class ServerBinary
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    public static string Path { get; } = Find("ConfigCluster.Server", "ConfigCluster.Server.dll");

    /// <summary>The built ccctl.</summary>
    public static string Cli { get; } = Find("ConfigCluster.Cli", "ccctl.dll");

    /// <summary>The repository root (the directory holding ConfigCluster.sln).</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "ConfigCluster.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (ConfigCluster.sln) above " + AppContext.BaseDirectory);
    }

    private static string Find(string project, string dll)
    {
        var path = System.IO.Path.Combine(FindRoot(), "src", project, "bin", Configuration, "net10.0", dll);
        return File.Exists(path) ? path : throw new InvalidOperationException($"not built: {path}");
    }
}
