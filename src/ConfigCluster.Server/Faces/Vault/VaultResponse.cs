using System.Globalization;
using System.Text.Json;
using ConfigCluster.Server.Http;

namespace ConfigCluster.Server.Faces.Vault;

/// <summary>
/// Vault's response envelope: <c>request_id</c>, <c>lease_id</c>, <c>renewable</c>,
/// <c>lease_duration</c>, <c>data</c>, <c>wrap_info</c>, <c>warnings</c>, <c>auth</c>.
/// </summary>
internal static class VaultResponse
{
    /// <summary>An envelope whose <c>data</c> is written by <paramref name="data"/> (null: <c>"data": null</c>).</summary>
    public static IResult Data(Action<Utf8JsonWriter>? data, int status = StatusCodes.Status200OK)
        => Envelope(status, data, auth: null);

    /// <summary>An envelope whose <c>data</c> object holds the properties <paramref name="writeProperties"/> writes.</summary>
    public static IResult DataObject(Action<Utf8JsonWriter> writeProperties, int status = StatusCodes.Status200OK)
        => Envelope(status, writer =>
        {
            writer.WriteStartObject();
            writeProperties(writer);
            writer.WriteEndObject();
        }, auth: null);

    /// <summary>An envelope with an <c>auth</c> block (token create and renew) and no data.</summary>
    public static IResult Auth(Action<Utf8JsonWriter> auth) => Envelope(StatusCodes.Status200OK, data: null, auth);

    /// <summary>Vault's empty success.</summary>
    public static IResult NoContent() => Results.NoContent();

    /// <summary>RFC 3339 with nanosecond digits, as Vault writes times; "" for none.</summary>
    public static string Time(DateTimeOffset? time)
        => time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture) : "";

    private static JsonResult Envelope(int status, Action<Utf8JsonWriter>? data, Action<Utf8JsonWriter>? auth)
        => new(status, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("request_id", Guid.NewGuid().ToString());
            writer.WriteString("lease_id", "");
            writer.WriteBoolean("renewable", false);
            writer.WriteNumber("lease_duration", 0);
            writer.WritePropertyName("data");
            if (data is null)
                writer.WriteNullValue();
            else
                data(writer);
            writer.WriteNull("wrap_info");
            writer.WriteNull("warnings");
            writer.WritePropertyName("auth");
            if (auth is null)
                writer.WriteNullValue();
            else
                auth(writer);
            writer.WriteEndObject();
        });
}
