using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using ConfigCluster.Server.Acl;

namespace ConfigCluster.Server.Faces.Consul;

/// <summary>One KV operation of a Consul transaction: <c>{"KV": {"Verb", "Key", "Value", "Flags", "Index"}}</c>.</summary>
internal sealed record TxnOp(int OpIndex, string Verb, string Key, byte[]? Value, ulong Flags, long Index)
{
    private static readonly string[] Verbs = ["set", "cas", "get", "get-tree", "check-index", "check-not-exists", "delete", "delete-cas", "delete-tree"];
    private static readonly string[] SessionVerbs = ["lock", "unlock", "check-session"];

    /// <summary>True for verbs that name a prefix rather than a key.</summary>
    public bool IsTree => Verb is "get-tree" or "delete-tree";

    /// <summary>What the operation needs on its key.</summary>
    public Capability Capability => Verb switch
    {
        "set" or "cas" => Capability.Write,
        "delete" or "delete-cas" or "delete-tree" => Capability.Delete,
        _ => Capability.Read,
    };

    /// <summary>Parses the request body; the error names the first bad operation as Consul phrases it.</summary>
    public static bool TryParseAll(JsonElement root, out List<TxnOp> ops, [NotNullWhen(false)] out string? error)
    {
        ops = [];
        error = null;
        if (root.ValueKind != JsonValueKind.Array)
        {
            error = "Failed to parse body: expected a JSON array of operations";
            return false;
        }

        var index = 0;
        foreach (var element in root.EnumerateArray())
        {
            if (!TryParse(index, element, out var op, out error))
                return false;
            ops.Add(op);
            index++;
        }

        return true;
    }

    private static bool TryParse(int index, JsonElement element, [NotNullWhen(true)] out TxnOp? op, [NotNullWhen(false)] out string? error)
    {
        op = null;
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty("KV", out var kv) || kv.ValueKind != JsonValueKind.Object)
        {
            error = $"operation {index}: only KV operations are supported ({{\"KV\": {{...}}}})";
            return false;
        }

        var verb = kv.TryGetProperty("Verb", out var verbElement) && verbElement.ValueKind == JsonValueKind.String ? verbElement.GetString()! : "";
        if (SessionVerbs.Contains(verb))
        {
            error = $"operation {index}: verb '{verb}' needs sessions, which ConfigCluster's Consul face does not support";
            return false;
        }

        if (!Verbs.Contains(verb))
        {
            error = $"operation {index}: unknown KV verb '{verb}'";
            return false;
        }

        var key = kv.TryGetProperty("Key", out var keyElement) && keyElement.ValueKind == JsonValueKind.String ? keyElement.GetString()! : "";
        byte[]? value = null;
        if (kv.TryGetProperty("Value", out var valueElement) && valueElement.ValueKind == JsonValueKind.String)
        {
            if (!valueElement.TryGetBytesFromBase64(out value))
            {
                error = $"operation {index}: Value is not valid base64";
                return false;
            }
        }
        else if (kv.TryGetProperty("Value", out valueElement) && valueElement.ValueKind != JsonValueKind.Null)
        {
            error = $"operation {index}: Value must be a base64 string";
            return false;
        }

        if (!TryNumber(kv, "Flags", out var flags) || !TryNumber(kv, "Index", out var opIndex) || opIndex > long.MaxValue)
        {
            error = $"operation {index}: Flags and Index must be non-negative integers";
            return false;
        }

        op = new TxnOp(index, verb, key, value, flags, (long)opIndex);
        if (op.IsTree ? !ConsulKeys.TryPrefix(key, out error) : !ConsulKeys.TryKey(key, out _, out error))
        {
            error = $"operation {index}: {error}";
            return false;
        }

        error = null;
        return true;
    }

    private static bool TryNumber(JsonElement kv, string name, out ulong value)
    {
        value = 0;
        return !kv.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null || (element.ValueKind == JsonValueKind.Number && element.TryGetUInt64(out value));
    }
}
