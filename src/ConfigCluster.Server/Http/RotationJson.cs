using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using ConfigCluster.Core.Commands;
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
        if (!RotationService.TryParseEvery(every, out var everyMs, out error))
            return false;

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
            EveryMs = everyMs, Generator = generator, HookUrl = hook ?? "",
        };
        return true;
    }

    /// <summary>
    /// A generator from <c>{"type": "password", "length": 32, "classes": ["lower", "upper", "digits", "symbols"]}</c>
    /// (classes default to all four), <c>{"type": "random-bytes", "bytes": 32}</c> or
    /// <c>{"type": "database", "staticRole": "app"}</c> (a database static role's password).
    /// </summary>
    public static bool TryReadGenerator(JsonElement json, [NotNullWhen(true)] out RotationGenerator? generator, [NotNullWhen(false)] out string? error)
    {
        generator = null;
        if (json.ValueKind != JsonValueKind.Object || !TryString(json, "type", out var type, out error))
        {
            error = "generator must be an object with a type: password, random-bytes or database";
            return false;
        }

        int? length = null, bytes = null;
        List<string>? classes = null;
        if (json.TryGetProperty("length", out var lengthJson))
        {
            if (lengthJson.ValueKind != JsonValueKind.Number || !lengthJson.TryGetInt32(out var value))
            {
                error = "length must be a whole number";
                return false;
            }

            length = value;
        }

        if (json.TryGetProperty("bytes", out var bytesJson))
        {
            if (bytesJson.ValueKind != JsonValueKind.Number || !bytesJson.TryGetInt32(out var value))
            {
                error = "bytes must be a whole number";
                return false;
            }

            bytes = value;
        }

        if (json.TryGetProperty("classes", out var classesJson))
        {
            if (classesJson.ValueKind != JsonValueKind.Array || classesJson.EnumerateArray().Any(static c => c.ValueKind != JsonValueKind.String))
            {
                error = "classes must be an array of lower, upper, digits, symbols";
                return false;
            }

            classes = [.. classesJson.EnumerateArray().Select(static c => c.GetString()!)];
            if (classes.Count == 0)
            {
                error = "classes must name at least one of lower, upper, digits, symbols";
                return false;
            }
        }

        if (!TryString(json, "staticRole", out var staticRole, out error))
            return false;
        return RotationGeneratorSpec.TryCreate(type, length, classes, bytes, staticRole, out generator, out error);
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
                foreach (var name in RotationGeneratorSpec.Classes(generator.Password))
                    writer.WriteStringValue(name);
                writer.WriteEndArray();
                break;
            case RotationGenerator.KindOneofCase.RandomBytes:
                writer.WriteNumber("bytes", generator.RandomBytes.Bytes);
                break;
            case RotationGenerator.KindOneofCase.Database:
                writer.WriteString("staticRole", generator.Database.StaticRole);
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

        writer.WriteString("lastResult", RotationService.LastResult(state));
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

    public static string Time(long unixMs) => DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToString("O", CultureInfo.InvariantCulture);

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
}
