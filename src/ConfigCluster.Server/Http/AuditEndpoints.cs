using System.Text.Json;
using ConfigCluster.Server.Acl;

namespace ConfigCluster.Server.Http;

/// <summary>The handlers of <c>GET /audit</c> and <c>GET /audit/verify</c> (routes declared in <see cref="AclEndpoints"/>).</summary>
internal static class AuditEndpoints
{
    /// <summary><c>GET /audit?since=ISO8601</c>: this node's audit lines, oldest first, across rotated files.</summary>
    public static async Task ReadAsync(HttpContext context, AuditLog audit)
    {
        DateTimeOffset? since = null;
        if (context.Request.Query["since"].ToString() is { Length: > 0 } text)
        {
            if (!DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed))
            {
                await HttpErrors.BadRequest("since must be an ISO 8601 time").ExecuteAsync(context);
                return;
            }

            since = parsed;
        }

        var token = context.RequestAborted;
        context.Response.ContentType = "application/x-ndjson";
        var views = audit.OpenForReading();
        try
        {
            foreach (var view in views)
            {
                await foreach (var line in AuditVerification.ReadLinesAsync(view, token))
                {
                    if (since is null || LineTime(line) >= since)
                        await context.Response.WriteAsync(line + "\n", token);
                }
            }
        }
        finally
        {
            foreach (var view in views)
                view.Dispose();
        }
    }

    /// <summary><c>GET /audit/verify</c>: 200 with the report; <c>ok</c> is false when the chain is broken or cut short.</summary>
    public static async Task<IResult> VerifyAsync(AuditVerification verification, CancellationToken token)
    {
        var report = await verification.VerifyAsync(token);
        return Results.Ok(new
        {
            ok = report.Ok,
            lines = report.Lines,
            files = report.Files,
            firstBadLine = report.FirstBadLine,
            file = report.File,
            reason = report.Reason,
            checkpoint = report.Checkpoint is { } c ? new { lines = c.Lines, mac = c.Mac } : null,
        });
    }

    // A line that is not JSON with a time (damaged) is still shown: hiding it would hide tampering.
    private static DateTimeOffset LineTime(string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            return document.RootElement.TryGetProperty("time", out var time) && time.TryGetDateTimeOffset(out var value) ? value : DateTimeOffset.MaxValue;
        }
        catch (JsonException)
        {
            return DateTimeOffset.MaxValue;
        }
    }
}
