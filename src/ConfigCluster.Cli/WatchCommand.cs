using System.CommandLine;
using System.Globalization;

namespace ConfigCluster.Cli;

/// <summary><c>ccctl watch KEY|--prefix P [--from-revision R]</c>: prints changes until Ctrl-C.</summary>
internal static class WatchCommand
{
    public static Command Create()
    {
        var key = new Argument<string>("key") { DefaultValueFactory = _ => "" };
        var prefix = new Option<string?>("--prefix") { Description = "watch every key under this prefix" };
        var from = new Option<long?>("--from-revision") { Description = "replay changes after this revision first" };
        var command = new Command("watch", "print changes as they happen (Ctrl-C stops)") { key, prefix, from };
        command.SetAction(Run.With(async (parse, client, token) =>
        {
            var target = parse.GetValue(prefix) is { } p ? (p.EndsWith('.') || p.EndsWith('/') || p.Length == 0 ? p : p + (p.Contains('/', StringComparison.Ordinal) ? "/" : ".")) : parse.GetValue(key)!;
            await client.WatchAsync(target, change =>
            {
                if (GlobalOptions.Json(parse))
                    Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(change));
                else
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{change.Revision} {change.Operation.ToString().Replace("Operation", "", StringComparison.Ordinal).ToLowerInvariant()} {change.Key} v{change.Version} {(change.Secret ? "(secret)" : change.ValueJson)} by {change.Author}"));
                return Task.CompletedTask;
            }, parse.GetValue(from), token: token);
        }));
        return command;
    }
}
