using System.Diagnostics;

namespace ConfigCluster.Server.Tests.Harness;

/// <summary>
/// Diagnostics for a node that left a request unanswered: its managed threads' stacks, taken with
/// <c>dotnet-stack</c> when that tool is installed (<c>dotnet tool install -g dotnet-stack</c>),
/// written to a file under the temp directory. Best effort: without the tool it says so.
/// </summary>
internal static class StallStacks
{
    private static readonly string Tool = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools", "dotnet-stack");

    /// <summary>A short note naming the file with <paramref name="node"/>'s stacks (or why there is none).</summary>
    public static string Capture(NodeProcess node)
    {
        if (node.ProcessId is not { } pid)
            return "; the node is not running";
        if (!File.Exists(Tool))
            return "; no stacks (dotnet-stack is not installed)";
        var file = Path.Combine(Path.GetTempPath(), $"configcluster-stall-{node.NodeId}-{DateTime.UtcNow:HHmmss}.txt");
        try
        {
            using var run = Process.Start(new ProcessStartInfo(Tool, ["report", "-p", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            var output = run.StandardOutput.ReadToEndAsync();
            if (!run.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                run.Kill();
                return "; dotnet-stack did not finish";
            }

            File.WriteAllText(file, output.Result);
            return $"; stacks in {file}";
        }
        catch (Exception e) when (e is IOException or System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return $"; no stacks ({e.Message})";
        }
    }
}
