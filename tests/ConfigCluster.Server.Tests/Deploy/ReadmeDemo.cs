using System.Text.RegularExpressions;

namespace ConfigCluster.Server.Tests.Deploy;

/// <summary>
/// The shell blocks of deploy/README.md marked <c>&lt;!-- compose-test: NAME --&gt;</c> ...
/// <c>&lt;!-- /compose-test --&gt;</c>: the fenced code between the markers, exactly as a reader copies it.
/// </summary>
internal static partial class ReadmeDemo
{
    public static IReadOnlyDictionary<string, string> Blocks(string readme)
    {
        var blocks = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match marked in MarkedBlock().Matches(readme))
        {
            var name = marked.Groups["name"].Value;
            var fence = Fenced().Match(marked.Groups["body"].Value);
            if (!fence.Success)
                throw new InvalidOperationException($"deploy/README.md: the compose-test block '{name}' holds no ```bash fence");
            if (!blocks.TryAdd(name, fence.Groups["code"].Value))
                throw new InvalidOperationException($"deploy/README.md: two compose-test blocks are named '{name}'");
        }

        return blocks;
    }

    [GeneratedRegex(@"<!-- compose-test: (?<name>[a-z-]+) -->\n(?<body>.*?)<!-- /compose-test -->", RegexOptions.Singleline)]
    private static partial Regex MarkedBlock();

    [GeneratedRegex(@"```bash\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex Fenced();
}
