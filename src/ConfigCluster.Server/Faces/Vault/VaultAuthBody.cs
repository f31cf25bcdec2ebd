using System.Text.Json;
using ConfigCluster.Server.Auth;

namespace ConfigCluster.Server.Faces.Vault;

/// <summary>Reading and writing the auth methods' bodies: string lists as Vault takes them, and the <c>auth</c> block of a login.</summary>
internal static class VaultAuthBody
{
    /// <summary>Reads an optional list of strings given as a JSON array or a comma-separated string (Vault takes both).</summary>
    public static bool TryStrings(JsonElement root, string name, out List<string>? values)
    {
        values = null;
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
            return true;
        if (element.ValueKind == JsonValueKind.String)
        {
            values = [.. element.GetString()!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];
        }
        else if (element.ValueKind == JsonValueKind.Array && element.EnumerateArray().All(static e => e.ValueKind == JsonValueKind.String))
        {
            values = [.. element.EnumerateArray().Select(static e => e.GetString()!.Trim()).Where(static s => s.Length > 0)];
        }
        else
        {
            return false;
        }

        return values.All(static v => v.Length <= 256 && !v.Any(char.IsControl));
    }

    /// <summary>
    /// Reads a role's optional <c>token_bound_cidrs</c> (networks its tokens work from) and
    /// <c>token_period</c> (periodic tokens); <paramref name="error"/> says what is wrong.
    /// </summary>
    public static bool TryTokenBindings(JsonElement root, out List<string>? cidrs, out TimeSpan? period, out string? error)
    {
        period = null;
        error = null;
        if (!TryStrings(root, "token_bound_cidrs", out cidrs))
            error = "token_bound_cidrs must be a list of CIDR blocks";
        else if (cidrs is not null && ConfigCluster.Core.Tokens.BoundCidrs.FirstInvalid(cidrs) is { } bad)
            error = $"token_bound_cidrs: '{bad}' is not a CIDR block or an address";
        else if (!VaultBody.TryDuration(root, "token_period", out period) || period < TimeSpan.Zero)
            error = "token_period must be a duration such as 30m, 1h or 3600";
        return error is null;
    }

    /// <summary>Reads an optional string.</summary>
    public static bool TryString(JsonElement root, string name, out string? value)
    {
        value = null;
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
            return true;
        if (element.ValueKind != JsonValueKind.String)
            return false;
        value = element.GetString();
        return true;
    }

    /// <summary>Milliseconds of a duration (null keeps <paramref name="current"/>).</summary>
    public static long Ms(TimeSpan? value, long current) => value is { } v ? (long)v.TotalMilliseconds : current;

    /// <summary>The <c>default</c> policy is implicit in Vault; ConfigCluster has none, so it is dropped.</summary>
    public static IEnumerable<string> Policies(IEnumerable<string> policies) => policies.Where(static p => p != "default");

    /// <summary>Vault's login answer: <c>{auth: {client_token, accessor, policies, lease_duration, renewable, ...}}</c>.</summary>
    public static IResult Login(IssuedToken issued, IReadOnlyDictionary<string, string>? metadata = null)
        => VaultResponse.Auth(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("client_token", issued.Token);
            writer.WriteString("accessor", issued.Accessor);
            WriteList(writer, "policies", issued.Policies);
            WriteList(writer, "token_policies", issued.Policies);
            if (metadata is null)
            {
                writer.WriteNull("metadata");
            }
            else
            {
                writer.WriteStartObject("metadata");
                foreach (var (key, value) in metadata)
                    writer.WriteString(key, value);
                writer.WriteEndObject();
            }

            writer.WriteNumber("lease_duration", issued.LeaseSeconds);
            writer.WriteBoolean("renewable", issued.Renewable);
            writer.WriteString("entity_id", "");
            writer.WriteString("token_type", "service");
            writer.WriteBoolean("orphan", true);
            writer.WriteNull("mfa_requirement");
            writer.WriteNumber("num_uses", 0);
            writer.WriteEndObject();
        });

    /// <summary>Writes <c>"name": [...]</c>.</summary>
    public static void WriteList(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
            writer.WriteStringValue(value);
        writer.WriteEndArray();
    }

    /// <summary>Vault's answer to a list: <c>{data: {keys: [...]}}</c>, or its bare 404 when empty.</summary>
    public static IResult Keys(IReadOnlyList<string> keys)
        => keys.Count == 0 ? VaultErrors.NotFound() : VaultResponse.DataObject(writer => WriteList(writer, "keys", keys));
}
