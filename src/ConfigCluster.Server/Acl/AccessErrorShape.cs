namespace ConfigCluster.Server.Acl;

/// <summary>
/// How a route's access failures (401, 403, 503) are written. ConfigCluster's own routes answer
/// <c>{"error": "..."}</c>; the Vault and Consul faces declare their own shape with
/// <see cref="AccessEndpointExtensions.WithAccessErrorShape{TBuilder}"/> so their clients read the
/// errors they expect.
/// </summary>
public abstract class AccessErrorShape
{
    /// <summary>ConfigCluster's shape: <c>{"error": message}</c>.</summary>
    public static readonly AccessErrorShape Default = new JsonErrorShape();

    /// <summary>Writes the refusal with <paramref name="status"/>; the message never holds a secret.</summary>
    public abstract Task WriteAsync(HttpContext context, int status, string message);

    private sealed class JsonErrorShape : AccessErrorShape
    {
        public override Task WriteAsync(HttpContext context, int status, string message)
            => Results.Json(new { error = message }, statusCode: status).ExecuteAsync(context);
    }
}
