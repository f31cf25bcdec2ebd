using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using ConfigCluster.Core.Keys;
using ConfigCluster.Server.Application;

namespace ConfigCluster.Server.Http;

/// <summary>
/// Reads one change-set item: <c>{"op": "put"|"delete", "key": "...", "value": any,
/// "secret": bool, "expectedVersion": N, "mask": bool, "environment": "..."}</c>.
/// </summary>
internal static class ChangeSetItemParser
{
    public static bool TryParse(JsonElement item, string? ns, string? env, [NotNullWhen(true)] out ChangeSetEntry? entry, [NotNullWhen(false)] out string? error)
    {
        entry = null;
        if (item.ValueKind != JsonValueKind.Object)
            return Fail("each item must be an object", out error);
        string? op = "put";
        if (item.TryGetProperty("op", out var opElement))
        {
            if (opElement.ValueKind != JsonValueKind.String)
                return Fail("each item's op must be \"put\" or \"delete\"", out error);
            op = opElement.GetString();
        }

        if (item.TryGetProperty("key", out var keyProperty) && keyProperty.ValueKind != JsonValueKind.String)
            return Fail("each item's key must be a string like \"database.host\"", out error);
        if (item.TryGetProperty("environment", out var envProperty) && envProperty.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            return Fail("an item's environment must be a string", out error);
        var key = item.TryGetProperty("key", out var keyElement) && keyElement.ValueKind == JsonValueKind.String ? keyElement.GetString() : null;
        if (item.TryGetProperty("environment", out var envElement) && envElement.ValueKind == JsonValueKind.String)
            env = envElement.GetString();
        if (!KeyPath.TryCreate(ns, env, key, out var path, out error))
            return false;

        long? expected = null;
        if (item.TryGetProperty("expectedVersion", out var expectedElement) && expectedElement.ValueKind != JsonValueKind.Null)
        {
            if (!expectedElement.TryGetInt64(out var value) || value < 0)
                return Fail($"item '{key}': expectedVersion must be a whole number of at least 0", out error);
            expected = value;
        }

        var secret = item.TryGetProperty("secret", out var secretElement) && secretElement.ValueKind == JsonValueKind.True;
        var mask = item.TryGetProperty("mask", out var maskElement) && maskElement.ValueKind == JsonValueKind.True;
        switch (op)
        {
            case "put":
                if (!item.TryGetProperty("value", out var value))
                    return Fail($"item '{key}': a put needs a value", out error);
                entry = new ChangeSetEntry(path, value.GetRawText(), secret, expected);
                return true;
            case "delete":
                entry = new ChangeSetEntry(path, null, false, expected, mask);
                return true;
            default:
                return Fail($"item '{key}': op must be 'put' or 'delete'", out error);
        }
    }

    private static bool Fail(string message, out string? error)
    {
        error = message;
        return false;
    }
}
