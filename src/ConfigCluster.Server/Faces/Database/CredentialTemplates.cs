using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ConfigCluster.Server.Faces.Database;

/// <summary>
/// Names and passwords of issued users, and the statements filled in for one user: <c>{{name}}</c>
/// and <c>{{username}}</c> (the user), <c>{{password}}</c>, <c>{{expiration}}</c> (Vault's
/// <c>2006-01-02 15:04:05-0700</c> layout, UTC). Both the name and the password are drawn from
/// letters, digits and '-', so neither can end a quoted SQL identifier or literal.
/// </summary>
internal static class CredentialTemplates
{
    /// <summary>PostgreSQL's longest identifier.</summary>
    public const int MaxUsernameLength = 63;

    private const string Alphanumerics = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>Vault's default PostgreSQL revocation when a role sets none: the user's privileges go, then the user.</summary>
    public static readonly IReadOnlyList<string> DefaultRevocation =
    [
        "REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA public FROM \"{{name}}\"; REVOKE ALL PRIVILEGES ON ALL SEQUENCES IN SCHEMA public FROM \"{{name}}\"; REVOKE USAGE ON SCHEMA public FROM \"{{name}}\"; DROP ROLE IF EXISTS \"{{name}}\";",
    ];

    /// <summary>What a renewal runs: the user's login stays valid until the lease's new expiry.</summary>
    public static readonly IReadOnlyList<string> Renewal = ["ALTER ROLE \"{{name}}\" VALID UNTIL '{{expiration}}';"];

    /// <summary>A user name in Vault's style: <c>v-&lt;caller&gt;-&lt;role&gt;-&lt;random&gt;-&lt;unix seconds&gt;</c>, at most 63 characters.</summary>
    public static string NewUsername(string caller, string role, DateTimeOffset now)
    {
        var name = $"v-{Clean(caller, 8)}-{Clean(role, 8)}-{Random(20)}-{now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}";
        return name.Length <= MaxUsernameLength ? name : name[..MaxUsernameLength];
    }

    /// <summary>A password like Vault's default policy's: 20 random letters and digits after "A1a-" (every class present).</summary>
    public static string NewPassword() => "A1a-" + Random(20);

    /// <summary>A lease id: <c>database/creds/&lt;role&gt;/&lt;random&gt;</c>.</summary>
    public static string NewLeaseId(string role) => $"database/creds/{role}/{Random(24)}";

    /// <summary>One statement with the user's values put in.</summary>
    public static string Render(string statement, string username, string? password, DateTimeOffset expiration)
    {
        var text = statement.Replace("{{name}}", username, StringComparison.Ordinal).Replace("{{username}}", username, StringComparison.Ordinal)
            .Replace("{{expiration}}", expiration.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "+0000", StringComparison.Ordinal);
        return password is null ? text : text.Replace("{{password}}", password, StringComparison.Ordinal);
    }

    /// <summary>Removes <paramref name="secrets"/> from a message (a database error may echo a statement).</summary>
    public static string Scrub(string message, params string?[] secrets)
    {
        foreach (var secret in secrets)
        {
            if (!string.IsNullOrEmpty(secret))
                message = message.Replace(secret, "[redacted]", StringComparison.Ordinal);
        }

        return message;
    }

    private static string Random(int length) => RandomNumberGenerator.GetString(Alphanumerics, length);

    private static string Clean(string text, int max)
    {
        var builder = new StringBuilder();
        foreach (var c in text)
        {
            if (builder.Length == max)
                break;
            if (char.IsAsciiLetterOrDigit(c))
                builder.Append(c);
            else if (c is '-' or '_' or '.')
                builder.Append('-');
        }

        return builder.Length > 0 ? builder.ToString() : "token";
    }
}
