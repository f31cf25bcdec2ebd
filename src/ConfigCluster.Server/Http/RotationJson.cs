using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using ConfigCluster.Core.Commands;
using ConfigCluster.Server.Hosting;
using ConfigCluster.Server.Rotation;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Http;

/// <summary>The JSON shapes of rotation policies, generators and a key's rotation status.</summary>
internal static class RotationJson
{
    /// <summary>
    /// A policy from <c>{"namespace", "environment", "key" | "prefix", "every": "30d", "generator": {...}, "hook": URL}</c>;
    /// the rules themselves (bounds, key syntax) are checked by the service.
    /// </summary>
    public static bool TryReadPolicy(string name, JsonElement body, [NotNullWhen(true)] out RotationPolicy? policy, [NotNullWhen(false)] out string? error)
    {
        policy = null;
        if (body.ValueKind != JsonValueKind.Object)
        {
            error = "body must be a JSON object like {\"key\": \"db.password\", \"every\": \"30d\", \"generator\": {\"type\": \"password\", \"length\": 32}}";
            return false;
        }

        if (!TryString(body, "every", out var every, out error) || !TryString(body, "namespace", out var ns, out error) || !TryString(body, "environment", out var env, out error)
            || !TryString(body, "key", out var key, out error) || !TryString(body, "prefix", out var prefix, out error) || !TryString(body, "hook", out var hook, out error))
            return false;
        if (every is null || !DurationParser.TryParse(every, out var period) || period <= TimeSpan.Zero)
        {
            error = $"every must be a duration like 90s, 12h or 30d{(every is null ? " (it is required)" : $", not '{every}'")}";
            return false;
        }

        if (!body.TryGetProperty("generator", out var generatorJson))
        {
            error = "generator is required: {\"type\": \"password\", ...} or {\"type\": \"random-bytes\", \"bytes\": 32}";
            return false;
        }

        if (!TryReadGenerator(generatorJson, out var generator, out error))
            return false;
        policy = new RotationPolicy
        {
            Name = name, Namespace = ns ?? "", Environment = env ?? "", Key = key ?? "", Prefix = prefix ?? "",
            EveryMs = (long)Math.Min(period.TotalMilliseconds, long.MaxValue / 2), Generator = generator, HookUrl = hook ?? "",
        };
        return true;
    }

    /// <summary>
    /// A generator from <c>{"type": "password", "length": 32, "classes": ["lower", "upper", "digits", "symbols"]}</c>
    /// (classes default to all four) or <c>{"type": "random-bytes", "bytes": 32}</c>.
    /// </summary>
    public static bool TryReadGenerator(JsonElement json, [NotNullWhen(true)] out RotationGenerator? generator, [NotNullWhen(false)] out string? error)
    {
        generator = null;
        if (json.ValueKind != JsonValueKind.Object || !TryString(json, "type", out var type, out error))
        {
            error = "generator must be an object with a type: password or random-bytes";
            return false;
        }

        switch (type)
        {
            case "password":
                var password = new PasswordGenerator { Length = 32, Lower = true, Upper = true, Digits = true, Symbols = true };
                if (!TryInt(json, "length", password, static (p, v) => p.Length = v, out error))
                    return false;
                if (json.TryGetProperty("classes", out var classes))
                {
                    if (classes.ValueKind != JsonValueKind.Array)
                    {
                        error = "classes must be an array of lower, upper, digits, symbols";
                        return false;
                    }

                    password.Lower = password.Upper = password.Digits = password.Symbols = false;
                    foreach (var item in classes.EnumerateArray())
                    {
                        switch (item.ValueKind == JsonValueKind.String ? item.GetString() : null)
                        {
                            case "lower": password.Lower = true; break;
                            case "upper": password.Upper = true; break;
                            case "digits": password.Digits = true; break;
                            case "symbols": password.Symbols = true; break;
                            default:
                                error = "classes must be an array of lower, upper, digits, symbols";
                                return false;
                        }
                    }
                }

                generator = new RotationGenerator { Password = password };
                return true;
            case "random-bytes":
                var random = new RandomBytesGenerator { Bytes = 32 };
                if (!TryInt(json, "bytes", random, static (r, v) => r.Bytes = v, out error))
                    return false;
                generator = new RotationGenerator { RandomBytes = random };
                return true;
            default:
                error = $"unknown generator '{type}': use {string.Join(" or ", RotationGenerators.Names)}";
                return false;
        }
    }

    public static void WritePolicy(Utf8JsonWriter writer, StoredRotationPolicy stored)
    {
        var policy = stored.Policy;
        writer.WriteStartObject();
        writer.WriteString("name", policy.Name);
        writer.WriteString("namespace", policy.Namespace);
        writer.WriteString("environment", policy.Environment);
        if (policy.Key.Length > 0)
            writer.WriteString("key", policy.Key);
        else
            writer.WriteString("prefix", policy.Prefix);
        writer.WriteString("every", Duration(policy.EveryMs));
        writer.WriteNumber("everyMs", policy.EveryMs);
        writer.WritePropertyName("generator");
        WriteGenerator(writer, policy.Generator);
        if (policy.HookUrl.Length > 0)
            writer.WriteString("hook", policy.HookUrl);
        writer.WriteString("setAt", Time(stored.SetUnixMs));
        writer.WriteEndObject();
    }

    public static void WriteGenerator(Utf8JsonWriter writer, RotationGenerator generator)
    {
        writer.WriteStartObject();
        writer.WriteString("type", RotationGenerators.Name(generator));
        switch (generator.KindCase)
        {
            case RotationGenerator.KindOneofCase.Password:
                writer.WriteNumber("length", generator.Password.Length);
                writer.WriteStartArray("classes");
                foreach (var (on, name) in new[] { (generator.Password.Lower, "lower"), (generator.Password.Upper, "upper"), (generator.Password.Digits, "digits"), (generator.Password.Symbols, "symbols") })
                {
                    if (on)
                        writer.WriteStringValue(name);
                }

                writer.WriteEndArray();
                break;
            case RotationGenerator.KindOneofCase.RandomBytes:
                writer.WriteNumber("bytes", generator.RandomBytes.Bytes);
                break;
        }

        writer.WriteEndObject();
    }

    /// <summary>A key's rotation status: policy, next due, last result, failures, hook delivery. Never a value.</summary>
    public static void WriteStatus(Utf8JsonWriter writer, Core.Keys.KeyPath path, StoredRotationPolicy? policy, RotationState? state)
    {
        var record = state?.Record;
        writer.WriteStartObject();
        writer.WriteString("key", path.Key);
        writer.WriteString("namespace", path.Namespace);
        writer.WriteString("environment", path.Environment);
        if (policy is null)
            writer.WriteNull("policy");
        else
        {
            writer.WriteString("policy", policy.Policy.Name);
            writer.WriteString("every", Duration(policy.Policy.EveryMs));
            writer.WriteString("nextDue", Time(RotationService.NextDue(policy, state)));
        }

        writer.WriteString("lastResult", record is null ? "never" : record.Attempts > 0 ? "failed" : record.Rotations > 0 ? "ok" : "never");
        writer.WriteNumber("rotations", record?.Rotations ?? 0);
        if (record is { LastRotatedUnixMs: > 0 })
        {
            writer.WriteString("lastRotated", Time(record.LastRotatedUnixMs));
            writer.WriteNumber("lastVersion", record.LastVersion);
            writer.WriteString("lastAuthor", record.LastAuthor);
        }

        writer.WriteNumber("attempts", record?.Attempts ?? 0);
        if (record is { LastError.Length: > 0 })
        {
            writer.WriteString("lastError", record.LastError);
            writer.WriteString("lastFailure", Time(record.LastFailureUnixMs));
        }

        writer.WriteStartObject("hook");
        writer.WriteNumber("pendingVersion", record?.HookPendingVersion ?? 0);
        writer.WriteNumber("deliveredVersion", record?.HookDeliveredVersion ?? 0);
        writer.WriteNumber("attempts", record?.HookAttempts ?? 0);
        if (record is { HookLastError.Length: > 0 })
            writer.WriteString("lastError", record.HookLastError);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>Milliseconds as the shortest whole unit: <c>30d</c>, <c>12h</c>, <c>5m</c>, <c>90s</c>, <c>1500ms</c>.</summary>
    public static string Duration(long ms)
        => ms % 86_400_000 == 0 ? $"{ms / 86_400_000}d"
            : ms % 3_600_000 == 0 ? $"{ms / 3_600_000}h"
            : ms % 60_000 == 0 ? $"{ms / 60_000}m"
            : ms % 1000 == 0 ? $"{ms / 1000}s"
            : $"{ms}ms";

    private static string Time(long unixMs) => DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToString("O", CultureInfo.InvariantCulture);

    private static bool TryString(JsonElement json, string name, out string? value, [NotNullWhen(false)] out string? error)
    {
        value = null;
        error = null;
        if (!json.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
            return true;
        if (element.ValueKind != JsonValueKind.String)
        {
            error = $"{name} must be a string";
            return false;
        }

        value = element.GetString();
        return true;
    }

    private static bool TryInt<T>(JsonElement json, string name, T target, Action<T, int> set, [NotNullWhen(false)] out string? error)
    {
        error = null;
        if (!json.TryGetProperty(name, out var element))
            return true;
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt32(out var value))
        {
            error = $"{name} must be a whole number";
            return false;
        }

        set(target, value);
        return true;
    }
}
