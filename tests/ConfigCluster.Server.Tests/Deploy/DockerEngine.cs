using System.Diagnostics;
using System.Globalization;

namespace ConfigCluster.Server.Tests.Deploy;

/// <summary>
/// A Docker engine of the test's own: <c>dockerd</c> on a private socket, with its data root, exec
/// root (and so its containerd), pidfile and log under one temporary directory, so it shares
/// nothing with any other engine on the machine and leaves nothing behind once stopped. It makes
/// no default bridge (<c>--bridge none</c>): Compose makes its own network.
/// </summary>
internal sealed partial class DockerEngine : IAsyncDisposable
{
    private readonly Process daemon;

    private DockerEngine(string root, Process daemon)
    {
        Root = root;
        this.daemon = daemon;
    }

    /// <summary>The temporary directory that holds everything this engine writes.</summary>
    public string Root { get; }

    /// <summary>The value for DOCKER_HOST.</summary>
    public string Host => $"unix://{Root}/docker.sock";

    public string LogFile => Path.Combine(Root, "dockerd.log");

    /// <summary>Whether the daemon process has been stopped and the directory removed.</summary>
    public bool Stopped { get; private set; }

    /// <summary>
    /// Starts the engine and waits until it answers. Null, with the reason, when dockerd cannot
    /// start here (then nothing is left running and the directory is gone).
    /// </summary>
    public static async Task<(DockerEngine? Engine, string? Failure)> TryStartAsync(TimeSpan timeout)
    {
        // Short: the socket path must fit a sockaddr_un (108 bytes), containerd's socket included.
        var root = Directory.CreateTempSubdirectory("ccd-").FullName;
        Process daemon;
        try
        {
            var start = new ProcessStartInfo("bash") { UseShellExecute = false };
            // dockerd finds containerd and runc on PATH; Debian puts runc (and dockerd) in /usr/sbin.
            start.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") + ":/usr/local/sbin:/usr/sbin:/sbin";
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add("exec dockerd --host \"unix://$0/docker.sock\" --data-root \"$0/data\" --exec-root \"$0/exec\" "
                + "--pidfile \"$0/docker.pid\" --bridge none >\"$0/dockerd.log\" 2>&1");
            start.ArgumentList.Add(root);
            daemon = Process.Start(start) ?? throw new InvalidOperationException("cannot start bash");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            Directory.Delete(root, recursive: true);
            return (null, $"cannot start dockerd: {e.Message}");
        }

        var engine = new DockerEngine(root, daemon);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (daemon.HasExited)
            {
                var log = engine.LogTail();
                await engine.DisposeAsync();
                return (null, $"dockerd exited with {daemon.ExitCode} at start: {log}");
            }

            var version = await engine.DockerAsync(TimeSpan.FromSeconds(10), "version", "--format", "{{.Server.Version}}");
            if (version.Succeeded)
                return (engine, null);
            if (DateTime.UtcNow > deadline)
            {
                var log = engine.LogTail();
                await engine.DisposeAsync();
                return (null, $"dockerd did not answer within {timeout.TotalSeconds:0} s: {log}");
            }

            await Task.Delay(250);
        }
    }

    /// <summary>Runs the docker CLI against this engine.</summary>
    public Task<CommandResult> DockerAsync(TimeSpan timeout, params string[] args)
        => Command.RunAsync("docker", args, timeout, new Dictionary<string, string?> { ["DOCKER_HOST"] = Host, ["DOCKER_CONTEXT"] = null });

    /// <summary>The last lines of dockerd's log, for a message.</summary>
    public string LogTail(int lines = 8)
    {
        try
        {
            return string.Join(" | ", File.ReadLines(LogFile).TakeLast(lines));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    private async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", [signal, daemon.Id.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }
}
