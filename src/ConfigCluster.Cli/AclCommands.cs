using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ConfigCluster.Contracts.V1;

namespace ConfigCluster.Cli;

/// <summary><c>ccctl token create|list|revoke</c> and <c>ccctl policy put NAME --file rules.json</c>.</summary>
internal static class AclCommands
{
    public static Command Token()
    {
        var name = new Argument<string>("name") { Description = "the service identity, e.g. auth-svc" };
        var policies = new Option<string[]>("--policy") { Description = "policy names (repeatable)", AllowMultipleArgumentsPerToken = true };
        var ttl = new Option<string?>("--ttl") { Description = "lifetime like 24h (default: none)" };
        var create = new Command("create", "create a token (shown once)") { name, policies, ttl };
        create.SetAction(Run.With(async (parse, client, token) =>
        {
            TimeSpan? life = parse.GetValue(ttl) is { } text ? ParseDuration(text) : null;
            var created = await client.CreateTokenAsync(parse.GetValue(name)!, parse.GetValue(policies) ?? [], life, token);
            if (GlobalOptions.Json(parse))
                Output.Json(new { token = created.Token, accessor = created.Accessor, name = created.Name });
            else
                Console.WriteLine($"token {created.Token}\naccessor {created.Accessor}");
        }));

        var list = new Command("list", "accessors and names (never the tokens)");
        list.SetAction(Run.With(async (parse, client, token) =>
        {
            var tokens = await client.ListTokensAsync(token);
            if (GlobalOptions.Json(parse))
                Output.Json(tokens.Select(static t => new { t.Accessor, t.Name, t.Policies, t.Revoked }));
            else
                Output.Table(["accessor", "name", "policies", "revoked"], tokens.Select(static t => (IReadOnlyList<string>)[t.Accessor, t.Name, string.Join(",", t.Policies), t.Revoked ? "yes" : ""]));
        }));

        var accessor = new Argument<string>("accessor");
        var revoke = new Command("revoke", "revoke a token on every node") { accessor };
        revoke.SetAction(Run.With(async (parse, client, token) =>
        {
            await client.RevokeTokenAsync(parse.GetValue(accessor)!, token);
            Console.WriteLine("revoked");
        }));
        return new Command("token", "access tokens") { create, list, revoke };
    }

    public static Command Policy()
    {
        var name = new Argument<string>("name");
        var file = new Option<string>("--file") { Required = true, Description = "JSON: {\"rules\": [{\"path\": \"auth.*\", \"capabilities\": [\"read\"]}]}" };
        var put = new Command("put", "create or replace a policy") { name, file };
        put.SetAction(Run.With(async (parse, client, token) =>
        {
            using var document = JsonDocument.Parse(await File.ReadAllTextAsync(parse.GetValue(file)!, token));
            var rules = document.RootElement.GetProperty("rules").EnumerateArray().Select(static r => new PolicyRuleSpec
            {
                Path = r.TryGetProperty("path", out var p) ? p.GetString() ?? "*" : "*",
                Namespace = r.TryGetProperty("namespace", out var n) ? n.GetString() ?? "*" : "*",
                Environment = r.TryGetProperty("environment", out var e) ? e.GetString() ?? "*" : "*",
                Capabilities = { r.GetProperty("capabilities").EnumerateArray().Select(static c => c.GetString() ?? "") },
                Deny = r.TryGetProperty("deny", out var d) && d.ValueKind == JsonValueKind.True,
            }).ToList();
            await client.PutPolicyAsync(parse.GetValue(name)!, rules, token);
            Console.WriteLine($"policy {parse.GetValue(name)} saved ({rules.Count} rules)");
        }));
        return new Command("policy", "access policies") { put };
    }

    private static TimeSpan ParseDuration(string text)
    {
        var unit = text[^1];
        var amount = double.Parse(text[..^1], CultureInfo.InvariantCulture);
        return unit switch
        {
            's' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMinutes(amount),
            'h' => TimeSpan.FromHours(amount),
            'd' => TimeSpan.FromDays(amount),
            _ => throw new ArgumentException($"--ttl '{text}' is not like 30m, 24h or 7d"),
        };
    }
}
