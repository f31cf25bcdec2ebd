using ConfigCluster.Server.Acl;

namespace ConfigCluster.Server.Faces.Consul;

/// <summary>
/// Consul's access errors as plain text: 403 <c>Permission denied</c> without the capability; a
/// missing or unknown token keeps ConfigCluster's 401 (Consul answers 403 there) with Consul's
/// text <c>ACL not found</c>; a node that cannot serve the request answers 503 with the reason.
/// </summary>
internal sealed class ConsulAccessErrorShape : AccessErrorShape
{
    public static readonly ConsulAccessErrorShape Instance = new();

    public override Task WriteAsync(HttpContext context, int status, string message)
    {
        var text = status switch
        {
            StatusCodes.Status401Unauthorized => "ACL not found",
            StatusCodes.Status403Forbidden => "Permission denied",
            _ => message,
        };
        return Results.Text(text, "text/plain; charset=utf-8", statusCode: status).ExecuteAsync(context);
    }
}
