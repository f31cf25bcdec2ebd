namespace ConfigCluster.Server.Tests.Deploy;

/// <summary>
/// A fact skipped, with the reason, where a Docker engine of the test's own cannot be started at
/// all: not Linux, not root (dockerd needs it), or no <c>dockerd</c>/<c>docker</c> installed
/// (.ci/run installs Debian's docker.io). Only these cheap checks run at discovery; xunit 2 has no
/// skip at run time, so a dockerd that is installed but will not start is reported by the test
/// itself (see <see cref="ComposeClusterTests"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class DockerFactAttribute : FactAttribute
{
    public DockerFactAttribute()
    {
        if (WhyNot() is { } reason)
            Skip = reason;
    }

    private static string? WhyNot()
    {
        if (!OperatingSystem.IsLinux())
            return "needs Linux (a Docker engine of its own)";
        if (!Environment.IsPrivilegedProcess)
            return "needs root to start a Docker engine of its own (dockerd)";
        foreach (var tool in new[] { "dockerd", "docker" })
        {
            if (OnPath(tool) is null)
                return $"{tool} is not installed (Debian: apt-get install docker.io; .ci/run does)";
        }

        return null;
    }

    /// <summary>The full path of a program on PATH (plus the sbin directories), or null.</summary>
    public static string? OnPath(string program)
        => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/local/sbin", "/usr/sbin", "/sbin"])
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);
}
