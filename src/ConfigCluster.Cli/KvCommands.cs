using System.CommandLine;
using System.Globalization;

namespace ConfigCluster.Cli;

/// <summary>get, put, delete, list, history, rollback, status.</summary>
internal static class KvCommands
{
    public static IEnumerable<Command> All()
    {
        yield return Get();
        yield return Put();
        yield return Delete();
        yield return List();
        yield return History();
        yield return Rollback();
        yield return Status();
    }

    private static Command Get()
    {
        var key = new Argument<string>("key");
        var version = new Option<long>("--version") { Description = "a specific version" };
        var serializable = new Option<bool>("--serializable") { Description = "local read without a read barrier" };
        var command = new Command("get", "read a key (secrets are revealed only here)") { key, version, serializable };
        command.SetAction(Run.With(async (parse, client, token) =>
        {
            var kv = await client.GetAsync(
                parse.GetValue(key)!,
                parse.GetValue(version) is > 0 and var v ? v : null,
                parse.GetValue(serializable) ? ConfigCluster.Contracts.V1.Consistency.Serializable : ConfigCluster.Contracts.V1.Consistency.Linearizable,
                token: token);
            if (GlobalOptions.Json(parse))
                Output.Json(Output.Describe(kv));
            else
                Console.WriteLine(kv.ValueJson);
        }));
        return command;
    }

    private static Command Put()
    {
        var key = new Argument<string>("key");
        var value = new Argument<string>("value") { Description = "JSON, or any text (stored as a string)" };
        var secret = new Option<bool>("--secret") { Description = "store as a secret (encrypted; never listed)" };
        var expected = new Option<long?>("--expected-version") { Description = "compare-and-set on this version (0 = must not exist)" };
        var command = new Command("put", "write a key") { key, value, secret, expected };
        command.SetAction(Run.With(async (parse, client, token) =>
        {
            var result = await client.PutAsync(parse.GetValue(key)!, ValueText.ToJson(parse.GetValue(value)!), parse.GetValue(secret), parse.GetValue(expected), token: token);
            Print(parse, result.Path.Key, result.Version, result.Revision);
        }));
        return command;
    }

    private static Command Delete()
    {
        var key = new Argument<string>("key");
        var expected = new Option<long?>("--expected-version");
        var command = new Command("delete", "delete a key (a tombstone version)") { key, expected };
        command.SetAction(Run.With(async (parse, client, token) =>
        {
            var result = await client.DeleteAsync(parse.GetValue(key)!, parse.GetValue(expected), token: token);
            Print(parse, result.Path.Key, result.Version, result.Revision);
        }));
        return command;
    }

    private static Command Rollback()
    {
        var key = new Argument<string>("key");
        var version = new Option<long>("--version") { Required = true, Description = "the version to restore" };
        var command = new Command("rollback", "make a new version holding an old version's value") { key, version };
        command.SetAction(Run.With(async (parse, client, token) =>
        {
            var result = await client.RollbackAsync(parse.GetValue(key)!, parse.GetValue(version), token: token);
            Print(parse, result.Path.Key, result.Version, result.Revision);
        }));
        return command;
    }

    private static Command List()
    {
        var prefix = new Argument<string>("prefix") { DefaultValueFactory = _ => "" };
        var command = new Command("list", "list keys under a prefix") { prefix };
        command.SetAction(Run.With(async (parse, client, token) =>
        {
            var items = await client.ListAsync(parse.GetValue(prefix)!, token: token);
            if (GlobalOptions.Json(parse))
                Output.Json(items.Select(Output.Describe));
            else
                Output.Table(["key", "value", "version", "revision"], items.Select(i => (IReadOnlyList<string>)[i.Path.Key, Output.Shown(i), N(i.Version), N(i.Revision)]));
        }));
        return command;
    }

    private static Command History()
    {
        var key = new Argument<string>("key");
        var command = new Command("history", "every version of a key, with who and when") { key };
        command.SetAction(Run.With(async (parse, client, token) =>
        {
            var versions = await client.HistoryAsync(parse.GetValue(key)!, token: token);
            if (GlobalOptions.Json(parse))
                Output.Json(versions.Select(Output.Describe));
            else
                Output.Table(["version", "operation", "author", "updated", "value"], versions.Select(v => (IReadOnlyList<string>)[
                    N(v.Version), v.Operation.ToString().Replace("Operation", "", StringComparison.Ordinal).ToLowerInvariant(), v.Author,
                    DateTimeOffset.FromUnixTimeMilliseconds(v.UpdatedAtUnixMs).UtcDateTime.ToString("u", CultureInfo.InvariantCulture), Output.Shown(v)]));
        }));
        return command;
    }

    private static Command Status()
    {
        var command = new Command("status", "the answering node's Raft view");
        command.SetAction(Run.With(async (parse, client, token) =>
        {
            var status = await client.StatusAsync(token);
            if (GlobalOptions.Json(parse))
            {
                Output.Json(new { status.NodeId, status.Role, status.LeaderId, status.Term, status.CommitIndex, status.AppliedIndex, status.Revision, members = status.Members.Select(static m => new { m.NodeId, m.Raft, m.Grpc, m.Healthy, m.IsLeader }) });
                return;
            }

            Console.WriteLine($"node {status.NodeId} ({status.Role}), leader {status.LeaderId}, term {status.Term}, commit {status.CommitIndex}, applied {status.AppliedIndex}, revision {status.Revision}");
            Output.Table(["node", "raft", "grpc", "healthy", "leader"], status.Members.Select(static m => (IReadOnlyList<string>)[m.NodeId, m.Raft, m.Grpc, m.Healthy ? "yes" : "no", m.IsLeader ? "*" : ""]));
        }));
        return command;
    }

    private static void Print(ParseResult parse, string key, long version, long revision)
    {
        if (GlobalOptions.Json(parse))
            Output.Json(new { key, version, revision });
        else
            Console.WriteLine($"{key} version {version} (revision {revision})");
    }

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);
}
