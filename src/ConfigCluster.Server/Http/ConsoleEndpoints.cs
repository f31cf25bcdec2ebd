using ConfigCluster.Server.Acl;
using ConfigCluster.Server.WebConsole;

namespace ConfigCluster.Server.Http;

/// <summary>
/// The web console at <c>/ui</c>: static files only, so the routes need no token (they hold no
/// data; every data call the console makes carries the user's token to the public API). Served
/// with a strict Content-Security-Policy (this origin only, no inline script or style) and never cached.
/// </summary>
internal static class ConsoleEndpoints
{
    /// <summary>The policy sent with every console file.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static void MapConsoleEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/ui", static (HttpResponse response) => Serve(response, "index.html")).AllowAnonymousAccess();
        routes.MapGet("/ui/{**path}", static (string? path, HttpResponse response) => Serve(response, string.IsNullOrEmpty(path) ? "index.html" : path)).AllowAnonymousAccess();
    }

    private static IResult Serve(HttpResponse response, string path)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.CacheControl = "no-store";
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        if (!ConsoleFiles.TryGet(path, out var content, out var contentType))
            return Results.Text("no such console file\n", "text/plain; charset=utf-8", statusCode: StatusCodes.Status404NotFound);
        return Results.Bytes(content, contentType);
    }
}
