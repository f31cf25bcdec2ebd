using System.Diagnostics.CodeAnalysis;
using Npgsql;

namespace ConfigCluster.Server.Faces.Database;

/// <summary>
/// Turns a Vault connection URL (<c>postgresql://{{username}}:{{password}}@host:port/db?sslmode=disable</c>,
/// or a key=value connection string) into an Npgsql connection string, with the admin's username and
/// password put in as values (never spliced into text, so no character of a password can change
/// the string's meaning).
/// </summary>
internal static class PostgresConnection
{
    private const string UserMark = "__ccuser__";
    private const string PasswordMark = "__ccpassword__";

    // Seconds: a database that does not answer fails an issuance or a revocation attempt quickly (then retried).
    private const int ConnectTimeoutSeconds = 5;
    private const int CommandTimeoutSeconds = 10;

    /// <summary>Builds the connection string; false with a message (which never quotes the password) when the URL is unusable.</summary>
    public static bool TryBuild(string url, string username, string password, [NotNullWhen(true)] out string? connectionString, [NotNullWhen(false)] out string? error)
    {
        connectionString = null;
        var marked = url.Replace("{{username}}", UserMark, StringComparison.Ordinal).Replace("{{password}}", PasswordMark, StringComparison.Ordinal);
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = marked.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || marked.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
                ? FromUrl(marked)
                : new NpgsqlConnectionStringBuilder(marked);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or UriFormatException or KeyNotFoundException)
        {
            error = "connection_url is not a usable PostgreSQL URL or connection string";
            return false;
        }

        builder.Username = Fill(builder.Username, username);
        builder.Password = Fill(builder.Password, password);
        if (string.IsNullOrEmpty(builder.Host))
        {
            error = "connection_url names no host";
            return false;
        }

        builder.Timeout = ConnectTimeoutSeconds;
        builder.CommandTimeout = CommandTimeoutSeconds;
        builder.Pooling = true;
        connectionString = builder.ConnectionString;
        error = null;
        return true;
    }

    private static string? Fill(string? value, string actual) => value switch
    {
        UserMark or PasswordMark => actual,
        _ => value,
    };

    private static NpgsqlConnectionStringBuilder FromUrl(string url)
    {
        var uri = new Uri(url);
        var builder = new NpgsqlConnectionStringBuilder { Host = uri.Host, Port = uri.Port > 0 ? uri.Port : 5432 };
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        builder.Database = database.Length > 0 ? database : "postgres";
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
                builder.Password = Uri.UnescapeDataString(parts[1]);
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var (name, value) = pair.Split('=', 2) is [var n, var v] ? (n, Uri.UnescapeDataString(v)) : (pair, "");
            switch (name)
            {
                case "sslmode":
                    builder.SslMode = value switch
                    {
                        "disable" => SslMode.Disable,
                        "allow" => SslMode.Allow,
                        "prefer" => SslMode.Prefer,
                        "require" => SslMode.Require,
                        "verify-ca" => SslMode.VerifyCA,
                        "verify-full" => SslMode.VerifyFull,
                        _ => throw new FormatException("sslmode"),
                    };
                    break;
                case "host":
                    builder.Host = value;
                    break;
                case "connect_timeout":
                    break;
                case "application_name":
                    builder.ApplicationName = value;
                    break;
                default:
                    throw new FormatException("unknown parameter");
            }
        }

        return builder;
    }
}
