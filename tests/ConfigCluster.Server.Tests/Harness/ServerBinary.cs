namespace ConfigCluster.Server.Tests.Harness;

/// <summary>Finds the built server (the test project builds it first).</summary>
internal static class ServerBinary
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    public static string Path { get; } = Find();

    private static string Find()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "ConfigCluster.sln")))
            dir = dir.Parent;
        if (dir is null)
            throw new InvalidOperationException("cannot find the repository root (ConfigCluster.sln) above " + AppContext.BaseDirectory);
        var path = System.IO.Path.Combine(dir.FullName, "src", "ConfigCluster.Server", "bin", Configuration, "net10.0", "ConfigCluster.Server.dll");
        return File.Exists(path) ? path : throw new InvalidOperationException($"the server is not built: {path}");
    }
}
