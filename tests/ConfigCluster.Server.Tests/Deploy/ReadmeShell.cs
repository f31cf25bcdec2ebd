using System.Text;

namespace ConfigCluster.Server.Tests.Deploy;

/// <summary>
/// Runs README blocks one after the other as if typed into one shell: each block runs in bash
/// with <c>set -eo pipefail</c> (so the first failing command stops it, and is named), starting
/// from the variables and functions the blocks before it left (saved as <c>declare -p</c> /
/// <c>declare -f</c> in a private file). What the blocks print is kept for a failure message with
/// the secrets the shell holds masked.
/// </summary>
internal sealed class ReadmeShell : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("cc-readme-").FullName;
    private readonly string workingDirectory;
    private readonly IReadOnlyDictionary<string, string?> environment;
    private readonly List<string> secrets = [];

    public ReadmeShell(string workingDirectory, IReadOnlyDictionary<string, string?> environment)
    {
        this.workingDirectory = workingDirectory;
        this.environment = environment;
        File.WriteAllText(State, "");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    // Bash's own variables: the next block gets fresh ones.
    private const string Dynamic = "BASH[A-Z_]*|FUNCNAME|GROUPS|PIPESTATUS|DIRSTACK|RANDOM|SRANDOM|SECONDS|LINENO|HISTCMD|EPOCHREALTIME|EPOCHSECONDS|SHLVL|PWD|OLDPWD|OPTIND|_";

    private string State => Path.Combine(dir, "state.sh");

    /// <summary>Everything the blocks printed so far (secrets masked).</summary>
    public StringBuilder Transcript { get; } = new();

    /// <summary>Runs one block; returns its result with secrets masked.</summary>
    public async Task<CommandResult> RunAsync(string name, string code, TimeSpan timeout)
    {
        var block = Path.Combine(dir, $"{name}.sh");
        await File.WriteAllTextAsync(block, code);
        // The ERR trap names the failing command; the state is saved only when the block succeeded.
        var script = $$"""
            source '{{State}}' 2>/dev/null
            set -eo pipefail
            trap 'echo "README command failed (exit $?): $BASH_COMMAND" >&2' ERR
            source '{{block}}'
            trap - ERR
            { declare -p | grep -Ev '^declare -[a-zA-Z-]*r[a-zA-Z-]* |^declare -[a-zA-Z-]+ ({{Dynamic}})='; declare -f; } >'{{State}}.new' 2>/dev/null
            mv '{{State}}.new' '{{State}}'
            """;
        var result = await Command.RunAsync("bash", ["--noprofile", "--norc", "-c", script], timeout, environment, workingDirectory);
        foreach (var variable in new[] { "CONFIGCLUSTER_BOOTSTRAP_TOKEN", "CONFIGCLUSTER_MASTER_KEY" })
        {
            if (await VariableAsync(variable) is { Length: > 0 } secret && !secrets.Contains(secret))
                secrets.Add(secret);
        }

        var masked = new CommandResult(result.ExitCode, Mask(result.Output), Mask(result.Error));
        Transcript.Append("== ").Append(name).Append(" (exit ").Append(result.ExitCode).Append(")\n").Append(masked.Output).Append(masked.Error);
        return masked;
    }

    /// <summary>A variable as the blocks left it (null when unset).</summary>
    public async Task<string?> VariableAsync(string name)
    {
        // Let bash read back the quoting of declare -p rather than parse it here.
        var script = $"source '{State}'; [ -n \"${{{name}+set}}\" ] && printf %s \"${name}\"";
        var result = await Command.RunAsync("bash", ["--noprofile", "--norc", "-c", script], TimeSpan.FromSeconds(20));
        return result.Succeeded ? result.Output.TrimEnd('\n') : null;   // Command adds a newline to every line
    }

    private string Mask(string text)
    {
        foreach (var secret in secrets)
            text = text.Replace(secret, "***", StringComparison.Ordinal);
        return text;
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);
}
