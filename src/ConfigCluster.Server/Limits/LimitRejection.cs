using System.Globalization;
using ConfigCluster.Server.Observability;

namespace ConfigCluster.Server.Limits;

/// <summary>Whose limit refused a request: its token's or its source address's.</summary>
public enum LimitScope
{
    /// <summary>The token (by accessor).</summary>
    Token,

    /// <summary>The source IP address.</summary>
    Source,
}

/// <summary>Which limit refused a request.</summary>
public enum LimitKind
{
    /// <summary>Requests per period (token bucket).</summary>
    Rate,

    /// <summary>Requests per fixed window.</summary>
    Quota,

    /// <summary>Concurrent watches.</summary>
    Watches,

    /// <summary>Concurrent long-polls.</summary>
    LongPolls,
}

/// <summary>
/// The answer to a request over a limit, one shape for every limit: HTTP 429 with
/// <c>Retry-After</c> (whole seconds) and <c>{"error": "...", "retryAfterSeconds": N}</c>; gRPC
/// <c>RESOURCE_EXHAUSTED</c> with a message (and <c>retry-after</c> in the headers). Each is counted
/// in <c>configcluster_rate_limited_total{scope, surface, limit}</c>.
/// </summary>
public static class LimitRejection
{
    /// <summary>The message for a refusal.</summary>
    public static string Message(LimitScope scope, LimitKind kind, TimeSpan retryAfter) => kind switch
    {
        LimitKind.Watches => "this token has as many watches open as this node allows (--max-watches-per-token); close one first",
        LimitKind.LongPolls => "this token has as many long-polls waiting as this node allows (--max-long-polls-per-token)",
        LimitKind.Quota => $"this token used its request quota (--quota-token); retry after {Seconds(retryAfter)} s",
        _ => scope == LimitScope.Token
            ? $"too many requests with this token (--rate-limit-token); retry after {Seconds(retryAfter)} s"
            : $"too many requests from this address (--rate-limit-source); retry after {Seconds(retryAfter)} s",
    };

    /// <summary>Counts a refusal in <c>/metrics</c>.</summary>
    public static void Count(LimitScope scope, LimitKind kind, bool grpc) => ServerMeters.CountRateLimited((int)scope, grpc, (int)kind);

    /// <summary>Counts and writes the refusal (gRPC as a trailers-only response) for an HTTP request not yet answered.</summary>
    public static async Task WriteAsync(HttpContext context, LimitScope scope, LimitKind kind, TimeSpan retryAfter)
    {
        ArgumentNullException.ThrowIfNull(context);
        var grpc = RequestRateLimiter.IsGrpc(context);
        Count(scope, kind, grpc);
        var message = Message(scope, kind, retryAfter);
        var response = context.Response;
        response.Headers.RetryAfter = Seconds(retryAfter);
        if (grpc)
        {
            // Trailers-only: the status travels in the headers of an empty 200 response.
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/grpc";
            response.Headers["grpc-status"] = "8"; // RESOURCE_EXHAUSTED
            response.Headers["grpc-message"] = Uri.EscapeDataString(message);
            await response.CompleteAsync();
            return;
        }

        response.StatusCode = StatusCodes.Status429TooManyRequests;
        await response.WriteAsJsonAsync(new LimitError(message, (int)Math.Ceiling(Math.Max(1, retryAfter.TotalSeconds))), LimitJson.Default.LimitError, cancellationToken: context.RequestAborted);
    }

    private static string Seconds(TimeSpan retryAfter) => Math.Ceiling(Math.Max(1, retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}

/// <summary>The JSON body of a 429.</summary>
/// <param name="Error">What limit was reached.</param>
/// <param name="RetryAfterSeconds">When to try again, as in <c>Retry-After</c>.</param>
public sealed record LimitError(string Error, int RetryAfterSeconds);

/// <summary>Source-generated JSON for <see cref="LimitError"/>.</summary>
[System.Text.Json.Serialization.JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[System.Text.Json.Serialization.JsonSerializable(typeof(LimitError))]
public sealed partial class LimitJson : System.Text.Json.Serialization.JsonSerializerContext;
