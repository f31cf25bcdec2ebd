using System.Text.Json;
using ConfigCluster.Core.Commands;
using ConfigCluster.Server.Acl;
using ConfigCluster.Server.Application;
using ConfigCluster.Server.Rotation;

namespace ConfigCluster.Server.Http;

/// <summary>
/// Secret rotation over HTTP: policies (admin) at <c>/rotation/policies[/{name}]</c>; a rotation
/// now at <c>POST /config/rotate/{key}</c> (write on the key); a key's rotation status at
/// <c>GET /config/rotation/{key}</c> (read on the key; never a value).
/// </summary>
internal static class RotationEndpoints
{
    private const int MaxBodyBytes = 64 * 1024;

    public static void MapRotationEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/rotation/policies", ListAsync).RequireAdmin("rotation.policy.list");
        routes.MapGet("/rotation/policies/{name}", GetAsync).RequireAdmin("rotation.policy.read");
        routes.MapPut("/rotation/policies/{name}", SetAsync).RequireAdmin("rotation.policy.write");
        routes.MapDelete("/rotation/policies/{name}", DeleteAsync).RequireAdmin("rotation.policy.delete");
        routes.MapPost("/config/rotate/{**key}", RotateAsync).RequireAccess(Capability.Write, AccessScope.FromRoute("key"), "rotate");
        routes.MapGet("/config/rotation/{**key}", StatusAsync).RequireAccess(Capability.Read, AccessScope.FromRoute("key"), "rotation.status");
    }

    private static async Task<IResult> ListAsync(RotationService rotation, CancellationToken token)
    {
        var outcome = await rotation.ListPoliciesAsync(token);
        if (outcome.Error is { } error)
            return HttpErrors.ToResult(error);
        return new JsonResult(StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("policies");
            foreach (var policy in outcome.Value!)
                RotationJson.WritePolicy(writer, policy);
            writer.WriteEndArray();
            writer.WriteEndObject();
        });
    }

    private static async Task<IResult> GetAsync(string name, RotationService rotation, CancellationToken token)
    {
        var outcome = await rotation.GetPolicyAsync(name, token);
        return outcome.Error is { } error ? HttpErrors.ToResult(error) : new JsonResult(StatusCodes.Status200OK, writer => RotationJson.WritePolicy(writer, outcome.Value!));
    }

    private static async Task<IResult> SetAsync(string name, HttpRequest request, RotationService rotation, CancellationToken token)
    {
        var body = await ReadBodyAsync(request, token);
        if (body.Error is { } bodyError)
            return HttpErrors.ToResult(bodyError);
        using var document = body.Value!;
        if (!RotationJson.TryReadPolicy(name, document.RootElement, out var policy, out var invalid))
            return HttpErrors.BadRequest(invalid);
        var outcome = await rotation.SetPolicyAsync(policy, token);
        return outcome.Error is { } error ? HttpErrors.ToResult(error) : new JsonResult(StatusCodes.Status200OK, writer => RotationJson.WritePolicy(writer, outcome.Value!));
    }

    private static async Task<IResult> DeleteAsync(string name, RotationService rotation, CancellationToken token)
        => await rotation.DeletePolicyAsync(name, token) is { } error ? HttpErrors.ToResult(error) : Results.NoContent();

    private static async Task<IResult> RotateAsync(string key, HttpRequest request, RotationService rotation, CancellationToken token)
    {
        if (!RequestParameters.TryGetPath(request, key, out var path, out var problem))
            return problem;
        RotationGenerator? generator = null;
        if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            var body = await ReadBodyAsync(request, token);
            if (body.Error is { } bodyError)
                return HttpErrors.ToResult(bodyError);
            using var document = body.Value!;
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                return HttpErrors.BadRequest("body must be a JSON object, e.g. {\"generator\": {\"type\": \"password\", \"length\": 32}}");
            if (document.RootElement.TryGetProperty("generator", out var json))
            {
                if (!RotationJson.TryReadGenerator(json, out generator, out var invalid))
                    return HttpErrors.BadRequest(invalid);
            }
        }

        var outcome = await rotation.RotateAsync(path, generator, request.Headers["X-Request-Id"], token);
        if (outcome.Error is { } error)
            return HttpErrors.ToResult(error);
        var result = outcome.Value!;
        return new JsonResult(StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("key", result.Path.Key);
            writer.WriteNumber("version", result.Version);
            writer.WriteNumber("revision", result.Revision);
            writer.WriteEndObject();
        });
    }

    private static async Task<IResult> StatusAsync(string key, HttpRequest request, RotationService rotation, CancellationToken token)
    {
        if (!RequestParameters.TryGetPath(request, key, out var path, out var problem))
            return problem;
        var outcome = await rotation.StatusAsync(path, token);
        if (outcome.Error is { } error)
            return HttpErrors.ToResult(error);
        var (policy, state) = outcome.Value;
        return new JsonResult(StatusCodes.Status200OK, writer => RotationJson.WriteStatus(writer, path, policy, state));
    }

    private static async Task<Outcome<JsonDocument>> ReadBodyAsync(HttpRequest request, CancellationToken token)
    {
        if (request.ContentLength > MaxBodyBytes)
            return new ConfigError(ConfigErrorCode.TooLarge, $"body is larger than {MaxBodyBytes} bytes");
        try
        {
            using var limited = new MemoryStream();
            await request.Body.CopyToAsync(limited, token);
            if (limited.Length > MaxBodyBytes)
                return new ConfigError(ConfigErrorCode.TooLarge, $"body is larger than {MaxBodyBytes} bytes");
            return JsonDocument.Parse(limited.ToArray());
        }
        catch (JsonException e)
        {
            return new ConfigError(ConfigErrorCode.InvalidArgument, $"body is not JSON: {e.Message}");
        }
    }
}
