using System.Text.Json;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Faces.Consul;

/// <summary>Consul's JSON shapes for KV entries.</summary>
internal static class ConsulJson
{
    /// <summary>
    /// One entry: <c>{"LockIndex","Key","Flags","Value","CreateIndex","ModifyIndex"}</c>. Value is
    /// base64 of the bytes (a ConfigCluster JSON value's UTF-8 text), null when empty or withheld.
    /// </summary>
    public static void WriteEntry(Utf8JsonWriter writer, ConsulEntry entry)
    {
        writer.WriteStartObject();
        writer.WriteNumber("LockIndex", 0);
        writer.WriteString("Key", entry.Key);
        writer.WriteNumber("Flags", entry.Flags);
        if (entry.Value is { Length: > 0 } value)
            writer.WriteBase64String("Value", value);
        else
            writer.WriteNull("Value");
        writer.WriteNumber("CreateIndex", entry.CreateIndex);
        writer.WriteNumber("ModifyIndex", entry.ModifyIndex);
        writer.WriteEndObject();
    }
}

/// <summary>A Consul KV entry as answered.</summary>
/// <param name="Value">The bytes, or null (a secret in a listing, or a write's result).</param>
internal sealed record ConsulEntry(string Key, ulong Flags, byte[]? Value, long CreateIndex, long ModifyIndex)
{
    /// <summary>An entry for a stored version (its value withheld when it is a secret: only an explicit GET opens one).</summary>
    public static ConsulEntry From(StoredVersion version, bool withValue = true)
        => new(version.Path.Key, version.Flags, withValue && !version.Secret ? version.Value.ToArray() : null, version.CreateRevision, version.Revision);
}
