using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ConfigCluster.Consensus;
using ConfigCluster.Core.Commands;
using ConfigCluster.Server.Acl;
using ConfigCluster.Server.Application;
using ConfigCluster.Server.Http;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Faces.Vault;

/// <summary>
/// Vault's <c>sys</c> routes: health and seal status (open, as in Vault), and the KV v2 mounts
/// (<c>admin</c>). Health: 200 on the leader (Vault's active node), 429 on a follower (standby),
/// 503 when this node is sealed (no master key), 501 before the cluster is bootstrapped.
/// </summary>
internal static class VaultSysEndpoints
{
    /// <summary>The Vault API level these routes follow, with ConfigCluster as the build.</summary>
    public const string Version = "1.15.0+configcluster";

    private const string ClusterName = "configcluster";

    public static void MapVaultSysEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/v1/sys/health", Health).AllowAnonymousAccess();
        routes.MapGet("/v1/sys/seal-status", SealStatus).AllowAnonymousAccess();
        routes.MapGet("/v1/sys/mounts", ListMounts).RequireAdmin("vault.sys.mounts.read").WithAccessErrorShape(VaultErrors.Shape);
        routes.MapPost("/v1/sys/mounts/{name}", MountAsync).RequireAdmin("vault.sys.mounts.write").WithAccessErrorShape(VaultErrors.Shape);
        routes.MapDelete("/v1/sys/mounts/{name}", UnmountAsync).RequireAdmin("vault.sys.mounts.delete").WithAccessErrorShape(VaultErrors.Shape);
    }

    private static IResult Health(HttpRequest request, RaftNode node, SecretSealer sealer, IVersionedStore store, NodeSettings settings, TimeProvider clock)
    {
        var initialized = store.TokenCount > 0;
        var sealedNode = sealer.IsSealed;
        var standby = !node.IsLeader;
        var status = !initialized ? Code(request, "uninitcode", StatusCodes.Status501NotImplemented)
            : sealedNode ? Code(request, "sealedcode", StatusCodes.Status503ServiceUnavailable)
            : !standby ? Code(request, "activecode", StatusCodes.Status200OK)
            : Flag(request, "standbyok") ? Code(request, "activecode", StatusCodes.Status200OK)
            : Code(request, "standbycode", StatusCodes.Status429TooManyRequests);
        return new JsonResult(status, writer =>
        {
            writer.WriteStartObject();
            writer.WriteBoolean("initialized", initialized);
            writer.WriteBoolean("sealed", sealedNode);
            writer.WriteBoolean("standby", standby);
            writer.WriteBoolean("performance_standby", false);
            writer.WriteString("replication_performance_mode", "disabled");
            writer.WriteString("replication_dr_mode", "disabled");
            writer.WriteNumber("server_time_utc", clock.GetUtcNow().ToUnixTimeSeconds());
            writer.WriteString("version", Version);
            writer.WriteString("cluster_name", ClusterName);
            writer.WriteString("cluster_id", ClusterId(settings));
            writer.WriteEndObject();
        });
    }

    private static IResult SealStatus(SecretSealer sealer, IVersionedStore store, NodeSettings settings)
        => new JsonResult(StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("type", "shamir");
            writer.WriteBoolean("initialized", store.TokenCount > 0);
            writer.WriteBoolean("sealed", sealer.IsSealed);
            writer.WriteNumber("t", 1);
            writer.WriteNumber("n", 1);
            writer.WriteNumber("progress", 0);
            writer.WriteString("nonce", "");
            writer.WriteString("version", Version);
            writer.WriteString("build_date", "");
            writer.WriteBoolean("migration", false);
            writer.WriteString("cluster_name", ClusterName);
            writer.WriteString("cluster_id", ClusterId(settings));
            writer.WriteBoolean("recovery_seal", false);
            writer.WriteString("storage_type", "raft");
            writer.WriteEndObject();
        });

    // Vault lists each mount at the top level (legacy) and under "data".
    private static IResult ListMounts(VaultMounts mounts)
    {
        var all = mounts.All();
        return new JsonResult(StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            foreach (var mount in all)
                WriteMount(writer, mount);
            writer.WriteString("request_id", Guid.NewGuid().ToString());
            writer.WriteString("lease_id", "");
            writer.WriteBoolean("renewable", false);
            writer.WriteNumber("lease_duration", 0);
            writer.WriteStartObject("data");
            foreach (var mount in all)
                WriteMount(writer, mount);
            writer.WriteEndObject();
            writer.WriteNull("wrap_info");
            writer.WriteNull("warnings");
            writer.WriteNull("auth");
            writer.WriteEndObject();
        });
    }

    private static void WriteMount(Utf8JsonWriter writer, StoredKvMount mount)
    {
        writer.WriteStartObject(mount.Name + "/");
        writer.WriteString("type", "kv");
        writer.WriteString("description", mount.Description);
        writer.WriteString("accessor", "kv_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(mount.Name)))[..8]);
        writer.WriteStartObject("config");
        writer.WriteNumber("default_lease_ttl", 0);
        writer.WriteNumber("max_lease_ttl", 0);
        writer.WriteEndObject();
        writer.WriteStartObject("options");
        writer.WriteString("version", "2");
        writer.WriteEndObject();
        writer.WriteBoolean("local", false);
        writer.WriteBoolean("seal_wrap", false);
        writer.WriteEndObject();
    }

    private static async Task<IResult> MountAsync(string name, HttpRequest request, VaultKv kv, CancellationToken token)
    {
        name = name.Trim('/');
        if (VaultMounts.IsReserved(name))
            return VaultErrors.BadRequest($"cannot mount at '{name}/': the path is reserved");
        var (body, problem) = await VaultBody.ReadAsync(request, token);
        if (problem is not null)
            return problem;
        using (body)
        {
            var root = body!.RootElement;
            var type = root.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            var version = root.TryGetProperty("options", out var options) && options.ValueKind == JsonValueKind.Object
                && options.TryGetProperty("version", out var v) ? (v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText()) : null;
            if (type is not ("kv" or "kv-v2"))
                return VaultErrors.BadRequest($"only KV version 2 secrets engines can be mounted here (type \"kv\" with options.version \"2\"), not '{type}'");
            if (type == "kv" && version != "2")
                return VaultErrors.BadRequest("only KV version 2 is supported: set options.version to \"2\"");
            if (kv.Mounts.Find(name) is not null)
                return VaultErrors.BadRequest($"path is already in use at {name}/");
            var description = root.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()! : "";
            var op = new KvMountOp { Name = name, Mode = KvMountMode.Create, Description = description };
            return await kv.MountAsync(op, notFoundIsSuccess: false, token) is { } error ? VaultErrors.From(error) : VaultResponse.NoContent();
        }
    }

    private static async Task<IResult> UnmountAsync(string name, VaultKv kv, CancellationToken token)
    {
        name = name.Trim('/');
        if (name == VaultMounts.DefaultMount)
            return VaultErrors.BadRequest($"the default mount {VaultMounts.DefaultMount}/ cannot be removed");
        var op = new KvMountOp { Name = name, Mode = KvMountMode.Remove };
        return await kv.MountAsync(op, notFoundIsSuccess: true, token) is { } error ? VaultErrors.From(error) : VaultResponse.NoContent();
    }

    private static bool Flag(HttpRequest request, string name)
        => request.Query.TryGetValue(name, out var value) && (value.ToString() is "" or "true" or "1");

    private static int Code(HttpRequest request, string name, int fallback)
        => request.Query.TryGetValue(name, out var value) && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code is >= 200 and <= 599 ? code : fallback;

    // Stable across nodes: derived from the configured members.
    private static string ClusterId(NodeSettings settings)
    {
        var members = string.Join(',', settings.Members.Select(static m => m.ToString()).Order(StringComparer.Ordinal));
        return new Guid(SHA256.HashData(Encoding.UTF8.GetBytes(members))[..16]).ToString();
    }
}
