using System.CommandLine;
using ConfigCluster.Client;

namespace ConfigCluster.Cli;

/// <summary>Options every command takes; each falls back to an environment variable.</summary>
internal static class GlobalOptions
{
    public static readonly Option<string?> Endpoints = new("--endpoints") { Description = "gRPC URLs of nodes, comma-separated (env CONFIGCLUSTER_ENDPOINTS; default http://127.0.0.1:7012)", Recursive = true };
    public static readonly Option<string?> Token = new("--token") { Description = "access token (env CONFIGCLUSTER_TOKEN)", Recursive = true };
    public static readonly Option<string?> Namespace = new("--namespace", "--ns") { Description = "namespace (default: default)", Recursive = true };
    public static readonly Option<string?> Environment = new("--env") { Description = "environment (default: default)", Recursive = true };
    public static readonly Option<string?> CaCert = new("--cacert") { Description = "PEM file of the CA that issued the nodes' certificates, for https:// endpoints (env CONFIGCLUSTER_CACERT; default: the system's roots)", Recursive = true };
    public static readonly Option<string> Output = new("--output", "-o") { Description = "table or json", DefaultValueFactory = _ => "table", Recursive = true };

    public static void AddTo(RootCommand root)
    {
        root.Add(Endpoints);
        root.Add(Token);
        root.Add(Namespace);
        root.Add(Environment);
        root.Add(CaCert);
        root.Add(Output);
    }

    public static ConfigClusterClient Client(ParseResult parse)
    {
        var options = new ConfigClusterClientOptions
        {
            Token = parse.GetValue(Token) ?? System.Environment.GetEnvironmentVariable("CONFIGCLUSTER_TOKEN"),
            Namespace = parse.GetValue(Namespace) ?? "default",
            Environment = parse.GetValue(Environment) ?? "default",
            CaCertificateFile = CaCertFile(parse),
        };
        var endpoints = parse.GetValue(Endpoints) ?? System.Environment.GetEnvironmentVariable("CONFIGCLUSTER_ENDPOINTS") ?? "http://127.0.0.1:7012";
        foreach (var endpoint in endpoints.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            options.Endpoints.Add(new Uri(endpoint));
        return new ConfigClusterClient(options);
    }

    /// <summary>The CA file: <c>--cacert</c>, else a non-empty CONFIGCLUSTER_CACERT, else none.</summary>
    public static string? CaCertFile(ParseResult parse)
        => parse.GetValue(CaCert) ?? (System.Environment.GetEnvironmentVariable("CONFIGCLUSTER_CACERT") is { Length: > 0 } file ? file : null);

    public static bool Json(ParseResult parse) => string.Equals(parse.GetValue(Output), "json", StringComparison.OrdinalIgnoreCase);
}
