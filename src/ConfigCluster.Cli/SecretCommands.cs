using System.CommandLine;
using System.Globalization;
using ConfigCluster.Contracts.V1;

namespace ConfigCluster.Cli;

/// <summary>
/// <c>secret rotate KEY</c>, <c>secret status KEY</c> and <c>secret rotation set|get|list|delete</c>:
/// scheduled and on-demand rotation of secret keys. No value is ever printed.
/// </summary>
internal static class SecretCommands
{
    public static Command Secret()
    {
        var key = new Argument<string>("key");
        var rotateGenerator = GeneratorOptions();
        var rotate = new Command("rotate", "rotate a secret key now: a new version with a freshly generated value (the policy's generator unless --generator is given)") { key };
        rotateGenerator.AddTo(rotate);
        rotate.SetAction(Run.With(async (parse, client, token) =>
        {
            var result = await client.RotateAsync(parse.GetValue(key)!, rotateGenerator.Read(parse), token: token);
            if (GlobalOptions.Json(parse))
                Output.Json(new { key = result.Path.Key, version = result.Version, revision = result.Revision });
            else
                Console.WriteLine($"{result.Path.Key}: rotated to version {result.Version} (revision {result.Revision})");
        }));

        var statusKey = new Argument<string>("key");
        var status = new Command("status", "a secret key's rotation status: policy, next due, last result, failures, hook delivery") { statusKey };
        status.SetAction(Run.With(async (parse, client, token) => Print(parse, await client.GetRotationStatusAsync(parse.GetValue(statusKey)!, token: token))));
        return new Command("secret", "secret rotation") { rotate, status, Rotation() };
    }

    private static Command Rotation()
    {
        var name = new Argument<string>("name");
        var key = new Option<string?>("--key") { Description = "the one secret key the policy rotates" };
        var prefix = new Option<string?>("--prefix") { Description = "rotate every secret key under this prefix" };
        var every = new Option<string>("--every") { Required = true, Description = "the period: 90s, 12h, 30d" };
        var hook = new Option<string?>("--hook") { Description = "http(s) URL POSTed {policy, namespace, environment, key, version} after each rotation (never the value)" };
        var generator = GeneratorOptions();
        var set = new Command("set", "add or replace a rotation policy (in --ns/--env); its schedule starts now") { name, key, prefix, every, hook };
        generator.AddTo(set);
        set.SetAction(Run.With(async (parse, client, token) =>
        {
            var policy = new RotationPolicy
            {
                Name = parse.GetValue(name)!, Namespace = client.Options.Namespace, Environment = client.Options.Environment,
                Key = parse.GetValue(key) ?? "", Prefix = parse.GetValue(prefix) ?? "", Every = parse.GetValue(every)!,
                Generator = generator.Read(parse) ?? new RotationGenerator { Type = "password" }, Hook = parse.GetValue(hook) ?? "",
            };
            Print(parse, [await client.SetRotationPolicyAsync(policy, token)]);
        }));

        var getName = new Argument<string>("name");
        var get = new Command("get", "one rotation policy") { getName };
        get.SetAction(Run.With(async (parse, client, token) => Print(parse, [await client.GetRotationPolicyAsync(parse.GetValue(getName)!, token)])));
        var list = new Command("list", "every rotation policy");
        list.SetAction(Run.With(async (parse, client, token) => Print(parse, await client.ListRotationPoliciesAsync(token))));
        var deleteName = new Argument<string>("name");
        var delete = new Command("delete", "remove a rotation policy; its keys keep their versions and stop rotating") { deleteName };
        delete.SetAction(Run.With(async (parse, client, token) =>
        {
            await client.DeleteRotationPolicyAsync(parse.GetValue(deleteName)!, token);
            if (!GlobalOptions.Json(parse))
                Console.WriteLine($"deleted rotation policy {parse.GetValue(deleteName)}");
        }));
        return new Command("rotation", "rotation policies (admin)") { set, get, list, delete };
    }

    private static GeneratorArguments GeneratorOptions() => new(
        new Option<string?>("--generator") { Description = "password (default), random-bytes or database" },
        new Option<int?>("--length") { Description = "password length (default 32)" },
        new Option<string?>("--classes") { Description = "password classes, comma-separated: lower,upper,digits,symbols (default all)" },
        new Option<int?>("--bytes") { Description = "random-bytes: how many (default 32), stored base64" },
        new Option<string?>("--static-role") { Description = "database: the static role whose password each rotation changes in its database and stores" });

    private sealed record GeneratorArguments(Option<string?> Type, Option<int?> Length, Option<string?> Classes, Option<int?> Bytes, Option<string?> StaticRole)
    {
        public void AddTo(Command command)
        {
            command.Add(Type);
            command.Add(Length);
            command.Add(Classes);
            command.Add(Bytes);
            command.Add(StaticRole);
        }

        // Null when no generator option was given (the policy's generator applies).
        public RotationGenerator? Read(ParseResult parse)
        {
            var type = parse.GetValue(Type);
            var length = parse.GetValue(Length);
            var classes = parse.GetValue(Classes);
            var bytes = parse.GetValue(Bytes);
            var staticRole = parse.GetValue(StaticRole);
            if (type is null && length is null && classes is null && bytes is null && staticRole is null)
                return null;
            var generator = new RotationGenerator
            {
                Type = type ?? (staticRole is not null ? "database" : bytes is null ? "password" : "random-bytes"), Length = length ?? 0, Bytes = bytes ?? 0, StaticRole = staticRole ?? "",
            };
            generator.Classes.AddRange((classes ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            return generator;
        }
    }

    private static void Print(ParseResult parse, IReadOnlyList<RotationPolicy> policies)
    {
        if (GlobalOptions.Json(parse))
        {
            Output.Json(policies.Select(static p => new
            {
                name = p.Name, @namespace = p.Namespace, environment = p.Environment, key = p.Key, prefix = p.Prefix, every = p.Every,
                generator = new { type = p.Generator?.Type, length = p.Generator?.Length, classes = p.Generator?.Classes.ToArray(), bytes = p.Generator?.Bytes, staticRole = p.Generator?.StaticRole },
                hook = p.Hook, setAt = p.SetAt,
            }));
            return;
        }

        Output.Table(["name", "scope", "keys", "every", "generator", "hook"], policies.Select(static p => (IReadOnlyList<string>)
        [
            p.Name, $"{p.Namespace}/{p.Environment}", p.Key.Length > 0 ? p.Key : p.Prefix + "*", p.Every,
            p.Generator?.Type switch
            {
                "random-bytes" => $"random-bytes {p.Generator.Bytes}",
                "database" => $"database {p.Generator.StaticRole}",
                _ => $"password {p.Generator?.Length} {string.Join(',', p.Generator?.Classes ?? [])}",
            },
            p.Hook,
        ]));
    }

    private static void Print(ParseResult parse, RotationStatus status)
    {
        if (GlobalOptions.Json(parse))
        {
            Output.Json(new
            {
                key = status.Path.Key, policy = status.Policy, every = status.Every, nextDue = status.NextDue, lastResult = status.LastResult,
                rotations = status.Rotations, lastRotated = status.LastRotated, lastVersion = status.LastVersion, lastAuthor = status.LastAuthor,
                attempts = status.Attempts, lastError = status.LastError, lastFailure = status.LastFailure,
                hook = new { pendingVersion = status.HookPendingVersion, deliveredVersion = status.HookDeliveredVersion, attempts = status.HookAttempts, lastError = status.HookLastError },
            });
            return;
        }

        Console.WriteLine($"key:          {status.Path.Key}");
        Console.WriteLine($"policy:       {(status.Policy.Length == 0 ? "(none)" : $"{status.Policy} every {status.Every}, next due {status.NextDue}")}");
        Console.WriteLine($"last result:  {status.LastResult}; {status.Rotations.ToString(CultureInfo.InvariantCulture)} rotations" + (status.LastVersion > 0 ? $", last {status.LastRotated} (version {status.LastVersion} by {status.LastAuthor})" : ""));
        if (status.Attempts > 0)
            Console.WriteLine($"failures:     {status.Attempts.ToString(CultureInfo.InvariantCulture)} since the last rotation; last {status.LastFailure}: {status.LastError}");
        if (status.HookPendingVersion > 0 || status.HookDeliveredVersion > 0)
            Console.WriteLine($"hook:         delivered version {status.HookDeliveredVersion}, pending {status.HookPendingVersion}, failed attempts {status.HookAttempts}" + (status.HookLastError.Length > 0 ? $" ({status.HookLastError})" : ""));
    }
}
