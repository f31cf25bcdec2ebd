using System.Collections;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Configuration;

namespace ConfigCluster.Server.Hosting;

/// <summary>
/// The node's configuration sources, lowest precedence first: the <c>ConfigCluster</c> section
/// of appsettings.json (beside the binary), <c>configcluster.json</c> in the working directory,
/// <c>CONFIGCLUSTER_*</c> environment variables, the command line. Keys are the option names
/// (<c>data-dir</c>); <see cref="NodeOptions"/> is bound from the result.
/// </summary>
internal static class NodeConfiguration
{
    /// <summary>The optional settings file read from the working directory.</summary>
    public const string FileName = "configcluster.json";

    /// <summary>Builds the configuration; on a malformed command line or file, <paramref name="error"/> is one line naming the option.</summary>
    public static bool TryBuild(string[] args, IDictionary environment, string workingDirectory, [NotNullWhen(true)] out IConfigurationRoot? configuration, [NotNullWhen(false)] out string? error)
    {
        configuration = null;
        if (!TryNormalize(args, out var commandLine, out error))
            return false;

        try
        {
            var appSettings = new ConfigurationBuilder()
                .SetBasePath(AppContext.BaseDirectory)
                .AddJsonFile("appsettings.json", optional: true)
                .Build();
            configuration = new ConfigurationBuilder()
                .AddInMemoryCollection(appSettings.GetSection("ConfigCluster").AsEnumerable(makePathsRelative: true))
                .AddJsonFile(Path.Combine(Path.GetFullPath(workingDirectory), FileName), optional: true)
                .Add(new NodeEnvironmentSource(environment))
                .AddCommandLine([.. commandLine], NodeOptionCatalog.SwitchMappings)
                .Build();
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or IOException)
        {
            error = $"{FileName} or appsettings.json: {e.Message.ReplaceLineEndings(" ")}";
            return false;
        }

        // A misspelt key in a file would otherwise be ignored without a word.
        if (configuration.GetChildren().FirstOrDefault(static c => NodeOptionCatalog.Find(c.Key) is null) is { } unknown)
        {
            error = $"--{unknown.Key}: unknown option (in {FileName} or appsettings.json)";
            return false;
        }

        return true;
    }

    /// <summary>True when the command line asks for the option list.</summary>
    public static bool WantsHelp(string[] args) => args is ["--help" or "-h" or "-?"];

    // The framework's command-line source takes whatever follows a switch as its value, and
    // accepts any switch. Here every argument must be a known option, a flag (--dev) may stand
    // alone, and an option that needs a value must have one: each becomes --name=value.
    private static bool TryNormalize(string[] args, out List<string> normalized, [NotNullWhen(false)] out string? error)
    {
        normalized = new List<string>(args.Length);
        error = null;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                error = $"unexpected argument '{arg}' (options look like --data-dir DIR; --help lists them)";
                return false;
            }

            var name = arg[2..];
            string? value = null;
            if (name.IndexOf('=', StringComparison.Ordinal) is var eq and >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }

            if (NodeOptionCatalog.Find(name) is not { } option)
            {
                error = $"--{name}: unknown option (--help lists them)";
                return false;
            }

            if (value is null && option.IsFlag)
                value = "true";
            if (value is null)
            {
                if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    error = $"--{name}: a value is required";
                    return false;
                }

                value = args[++i];
            }

            normalized.Add($"--{option.Name}={value}");
        }

        return true;
    }
}
