using System.CommandLine;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ConfigCluster.Cli;

/// <summary>
/// <c>ccctl lease list [PREFIX] | renew LEASE_ID [--increment 1h] | revoke LEASE_ID | revoke --prefix PREFIX</c>:
/// the leases of dynamic database credentials, through the nodes' Vault lease API
/// (<c>/v1/sys/leases/...</c>, served on the gRPC port too, over HTTP/2), trying each endpoint in
/// turn when one cannot be reached. Exit codes as everywhere: 2 unknown lease, 4 unavailable, 5 denied.
/// </summary>
internal static class LeaseCommands
{
    public static Command Lease()
    {
        var prefix = new Argument<string>("prefix") { Description = "lease id prefix (default database/)", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = static _ => "database/" };
        var list = new Command("list", "lease ids under a prefix (every level below it)") { prefix };
        list.SetAction(With(async (parse, vault, token) =>
        {
            var ids = new List<string>();
            await ListAsync(vault, parse.GetValue(prefix)!, ids, token);
            if (GlobalOptions.Json(parse))
                Output.Json(ids);
            else
                ids.ForEach(Console.WriteLine);
            return ExitCodes.Ok;
        }));

        var leaseId = new Argument<string>("lease-id");
        var increment = new Option<string?>("--increment") { Description = "extend by this much, like 1h (default: the lease's ttl; never past its max_ttl)" };
        var renew = new Command("renew", "extend a lease") { leaseId, increment };
        renew.SetAction(With(async (parse, vault, token) =>
        {
            var body = new JsonObject { ["lease_id"] = parse.GetValue(leaseId) };
            if (parse.GetValue(increment) is { } text)
                body["increment"] = text;
            var answer = await vault.SendAsync(HttpMethod.Put, "/v1/sys/leases/renew", body, token);
            var seconds = answer!["lease_duration"]!.GetValue<long>();
            if (GlobalOptions.Json(parse))
                Output.Json(new { leaseId = parse.GetValue(leaseId), leaseDuration = seconds });
            else
                Console.WriteLine($"renewed {parse.GetValue(leaseId)} for {seconds} s");
            return ExitCodes.Ok;
        }));

        var revokeId = new Argument<string?>("lease-id") { Arity = ArgumentArity.ZeroOrOne };
        var revokePrefix = new Option<string?>("--prefix") { Description = "revoke every lease whose id starts with this" };
        var revoke = new Command("revoke", "revoke a lease (its database user is dropped) or every lease under --prefix") { revokeId, revokePrefix };
        revoke.SetAction(With(async (parse, vault, token) =>
        {
            if (parse.GetValue(revokePrefix) is { Length: > 0 } p)
            {
                await vault.SendAsync(HttpMethod.Put, "/v1/sys/leases/revoke-prefix/" + p.TrimStart('/'), null, token);
                Console.WriteLine($"revoked every lease under {p}");
                return ExitCodes.Ok;
            }

            if (parse.GetValue(revokeId) is not { Length: > 0 } id)
            {
                Console.Error.WriteLine("ccctl: give a lease id or --prefix");
                return ExitCodes.Usage;
            }

            await vault.SendAsync(HttpMethod.Put, "/v1/sys/leases/revoke", new JsonObject { ["lease_id"] = id }, token);
            Console.WriteLine($"revoked {id}");
            return ExitCodes.Ok;
        }));
        return new Command("lease", "leases of dynamic database credentials") { list, renew, revoke };
    }

    // Vault's LIST answers one level: ids, and folders ending in '/', which are walked too.
    private static async Task ListAsync(VaultHttp vault, string prefix, List<string> ids, CancellationToken token)
    {
        var answer = await vault.SendAsync(new HttpMethod("LIST"), "/v1/sys/leases/lookup/" + prefix.TrimStart('/'), null, token, notFoundIsEmpty: true);
        foreach (var key in answer?["data"]?["keys"]?.AsArray().Select(static k => k!.GetValue<string>()) ?? [])
        {
            if (key.EndsWith('/'))
                await ListAsync(vault, prefix + key, ids, token);
            else
                ids.Add(prefix + key);
        }
    }

    private static Func<ParseResult, CancellationToken, Task<int>> With(Func<ParseResult, VaultHttp, CancellationToken, Task<int>> body)
        => async (parse, token) =>
        {
            try
            {
                using var vault = VaultHttp.Create(parse);
                return await body(parse, vault, token);
            }
            catch (VaultCallException e)
            {
                Console.Error.WriteLine($"ccctl: {e.Message}");
                return e.ExitCode;
            }
            catch (Exception e) when (e is UriFormatException or JsonException or FormatException)
            {
                Console.Error.WriteLine($"ccctl: {e.Message}");
                return ExitCodes.Usage;
            }
        };

    private sealed class VaultCallException(string message, int exitCode) : Exception(message)
    {
        public int ExitCode { get; } = exitCode;
    }

    /// <summary>HTTP/2 calls to the nodes' gRPC endpoints with the caller's token; the next endpoint when one cannot be reached.</summary>
    private sealed class VaultHttp(HttpClient http, IReadOnlyList<Uri> endpoints) : IDisposable
    {
        public static VaultHttp Create(ParseResult parse)
        {
            var endpoints = (parse.GetValue(GlobalOptions.Endpoints) ?? System.Environment.GetEnvironmentVariable("CONFIGCLUSTER_ENDPOINTS") ?? "http://127.0.0.1:7012")
                .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(static e => new Uri(e)).ToList();
            var handler = new SocketsHttpHandler();
            ConfigCluster.Client.CaTrust.Apply(handler, GlobalOptions.CaCertFile(parse));
            var http = new HttpClient(handler)
            {
                DefaultRequestVersion = HttpVersion.Version20,
                DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
                Timeout = TimeSpan.FromSeconds(30),
            };
            if ((parse.GetValue(GlobalOptions.Token) ?? System.Environment.GetEnvironmentVariable("CONFIGCLUSTER_TOKEN")) is { Length: > 0 } token)
                http.DefaultRequestHeaders.Add("X-Vault-Token", token);
            return new VaultHttp(http, endpoints);
        }

        public async Task<JsonNode?> SendAsync(HttpMethod method, string path, JsonObject? body, CancellationToken token, bool notFoundIsEmpty = false)
        {
            HttpRequestException? last = null;
            foreach (var endpoint in endpoints)
            {
                // The gRPC port speaks HTTP/2 only; a request message does not take the client's default version.
                using var request = new HttpRequestMessage(method, new Uri(endpoint, path)) { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
                if (body is not null)
                    request.Content = JsonContent.Create(body);
                HttpResponseMessage response;
                try
                {
                    response = await http.SendAsync(request, token);
                }
                catch (HttpRequestException e)
                {
                    last = e;
                    continue;
                }

                using (response)
                {
                    var text = await response.Content.ReadAsStringAsync(token);
                    if (response.IsSuccessStatusCode)
                        return text.Length == 0 ? null : JsonNode.Parse(text);
                    var json = TryParse(text);
                    if (response.StatusCode == HttpStatusCode.NotFound && notFoundIsEmpty)
                        return null;
                    var message = json?["errors"] is JsonArray { Count: > 0 } errors ? string.Join("; ", errors.Select(static e => e?.GetValue<string>())) : $"HTTP {(int)response.StatusCode}";
                    throw new VaultCallException(message, response.StatusCode switch
                    {
                        HttpStatusCode.BadRequest when message.Contains("lease", StringComparison.OrdinalIgnoreCase) && (message.Contains("not found", StringComparison.Ordinal) || message.Contains("invalid", StringComparison.Ordinal)) => ExitCodes.NotFound,
                        HttpStatusCode.BadRequest => ExitCodes.Usage,
                        HttpStatusCode.NotFound => ExitCodes.NotFound,
                        HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized => ExitCodes.Denied,
                        HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout => ExitCodes.Unavailable,
                        _ => ExitCodes.Failed,
                    });
                }
            }

            throw new VaultCallException($"no node could be reached: {last?.Message}", ExitCodes.Unavailable);
        }

        private static JsonNode? TryParse(string text)
        {
            try
            {
                return text.Length == 0 ? null : JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                return null;
            }
        }

        public void Dispose() => http.Dispose();
    }
}
