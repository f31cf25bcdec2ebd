using System.Text.Json;

namespace ConfigCluster.Server.Http;

/// <summary>
/// Writes a JSON answer straight to the response with <see cref="Utf8JsonWriter"/>, so stored
/// values (already JSON) go out as they are, without a parse and re-serialize.
/// </summary>
internal sealed class JsonResult(int statusCode, Action<Utf8JsonWriter> write) : IResult
{
    // Keys and messages are plain ASCII from validated input; relaxed escaping keeps them readable.
    private static readonly JsonWriterOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = statusCode;
        httpContext.Response.ContentType = "application/json; charset=utf-8";
        await using var writer = new Utf8JsonWriter(httpContext.Response.BodyWriter, Options);
        write(writer);
        await writer.FlushAsync(httpContext.RequestAborted);
    }
}
