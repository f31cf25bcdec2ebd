using System.CommandLine;

namespace ConfigCluster.Cli;

/// <summary><c>ccctl diff --from E1 --to E2</c> and <c>ccctl promote --from E1 --to E2 [--keys a,b] [--prefix P]</c>.</summary>
internal static class EnvironmentCommands
{
    public static Command Diff()
    {
        var from = new Option<string>("--from") { Required = true };
        var to = new Option<string>("--to") { Required = true };
        var prefix = new Option<string>("--prefix") { DefaultValueFactory = _ => "" };
        var command = new Command("diff", "effective differences between two environments (secrets by fingerprint)") { from, to, prefix };
        command.SetAction(Run.With(async (parse, client, token) =>
        {
            var diff = await client.DiffAsync(parse.GetValue(from)!, parse.GetValue(to)!, parse.GetValue(prefix)!, token);
            if (GlobalOptions.Json(parse))
            {
                Output.Json(new
                {
                    added = diff.Added.Select(static d => Output.Describe(d.To)),
                    removed = diff.Removed.Select(static d => Output.Describe(d.From)),
                    changed = diff.Changed.Select(static d => new { key = d.Key, from = Output.Describe(d.From), to = Output.Describe(d.To) }),
                });
                return;
            }

            Output.Table(["change", "key", "from", "to"],
                diff.Added.Select(static d => (IReadOnlyList<string>)["added", d.Key, "", Output.Shown(d.To)])
                    .Concat(diff.Removed.Select(static d => (IReadOnlyList<string>)["removed", d.Key, Output.Shown(d.From), ""]))
                    .Concat(diff.Changed.Select(static d => (IReadOnlyList<string>)["changed", d.Key, Output.Shown(d.From), Output.Shown(d.To)])));
        }));
        return command;
    }

    public static Command Promote()
    {
        var from = new Option<string>("--from") { Required = true };
        var to = new Option<string>("--to") { Required = true };
        var prefix = new Option<string>("--prefix") { DefaultValueFactory = _ => "" };
        var keys = new Option<string?>("--keys") { Description = "comma-separated keys (default: every differing key under --prefix)" };
        var message = new Option<string?>("--message");
        var command = new Command("promote", "copy differing keys from one environment to another as one change-set") { from, to, prefix, keys, message };
        command.SetAction(Run.With(async (parse, client, token) =>
        {
            var only = parse.GetValue(keys)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var result = await client.PromoteAsync(parse.GetValue(from)!, parse.GetValue(to)!, parse.GetValue(prefix)!, only, parse.GetValue(message), token);
            if (GlobalOptions.Json(parse))
                Output.Json(new { promoted = result.Promoted, revision = result.Revision });
            else
                Console.WriteLine(result.Promoted.Count == 0 ? "nothing to promote" : $"promoted {string.Join(", ", result.Promoted)} (revision {result.Revision})");
        }));
        return command;
    }
}
