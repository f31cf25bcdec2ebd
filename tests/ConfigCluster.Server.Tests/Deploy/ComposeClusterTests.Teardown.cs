namespace ConfigCluster.Server.Tests.Deploy;

public sealed partial class ComposeClusterTests
{
    /// <summary>
    /// <c>down -v</c>, then what of the project is still there (containers, networks, volumes),
    /// then the engine stopped and whatever had to be removed by force, then any process or mount
    /// of the engine still alive. Empty when everything went away as it should. Runs once.
    /// </summary>
    private async Task<List<string>> TearDownAsync()
    {
        var left = new List<string>();
        if (engine is null || engine.Stopped)
            return left;
        if (composeStarted)
        {
            var environment = ShellEnvironment();
            var down = await Command.RunAsync(compose[0], [.. compose.Skip(1), "-f", "deploy/docker-compose.yml", "down", "-v", "--remove-orphans", "-t", "5"],
                TimeSpan.FromMinutes(3), environment, root);
            if (!down.Succeeded)
                left.Add($"compose down -v failed: {down.Tail(5)}");
            var label = $"label=com.docker.compose.project={project}";
            foreach (var (kind, args) in new[]
                     {
                         ("container", new[] { "ps", "-aq", "--filter", label }),
                         ("network", ["network", "ls", "-q", "--filter", label]),
                         ("volume", ["volume", "ls", "-q", "--filter", label]),
                     })
            {
                var listed = await engine.DockerAsync(TimeSpan.FromSeconds(30), args);
                if (!listed.Succeeded)
                    left.Add($"docker {string.Join(' ', args)} failed: {listed.Tail(3)}");
                else if (listed.Output.Trim().Length > 0)
                    left.Add($"{kind}s of project {project} after down -v: {listed.Output.Trim().Replace('\n', ' ')}");
            }
        }

        var dir = engine.Root;
        left.AddRange(await engine.StopAsync());
        if (DockerEngine.ProcessesUnder(dir) is { Count: > 0 } processes)
            left.Add($"processes of the engine still running: {string.Join(' ', processes)}");
        if (DockerEngine.MountsUnder(dir) is { Count: > 0 } mounts)
            left.Add($"mounts of the engine still there: {string.Join(' ', mounts)}");
        if (Directory.Exists(dir))
            left.Add($"{dir} still exists");
        return left;
    }
}
