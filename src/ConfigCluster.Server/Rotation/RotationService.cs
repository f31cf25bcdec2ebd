using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Core.Rotation;
using ConfigCluster.Server.Application;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Rotation;

/// <summary>
/// Rotation policies and rotations through the one write pipeline, for every edge (HTTP, gRPC)
/// and for the leader's scheduler: set, delete, read policies; rotate a secret key now; read a
/// key's rotation status. Every change is a command in the log; nothing here draws the value
/// (the leader's <see cref="RotationValuePreparer"/> does). A database generator's static role
/// gets its new password in the database (<see cref="IRotationDatabase"/>) before the key's new
/// version is proposed, so the version holds a password that already works.
/// </summary>
public sealed class RotationService(IVersionedStore store, WritePipeline pipeline, IRotationDatabase database)
{
    /// <summary>The author prefix of scheduled rotations: <c>rotation:POLICY</c>.</summary>
    public const string AuthorPrefix = "rotation:";

    /// <summary>Adds or replaces a policy (its schedule restarts); the policy as stored.</summary>
    public async Task<Outcome<StoredRotationPolicy>> SetPolicyAsync(RotationPolicy policy, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (!RotationRules.TryValidate(policy, out var invalid))
            return new ConfigError(ConfigErrorCode.InvalidArgument, invalid);
        // A policy may name a key before it exists, but never a plain key: only secrets rotate.
        if (policy.Key.Length > 0 && await pipeline.CatchUpAsync(token) is { } behind)
            return behind;
        if (policy.Key.Length > 0 && KeyPath.TryCreate(policy.Namespace, policy.Environment, policy.Key, out var path, out _)
            && await store.GetAsync(path, 0, token) is { IsDeletion: false, Secret: false })
            return new ConfigError(ConfigErrorCode.InvalidArgument, $"key '{policy.Key}' is not a secret; only secrets rotate");
        if (policy.Generator.Database is { } generator && await CheckStaticRoleAsync(generator.StaticRole, token) is { } noRole)
            return noRole;
        var command = pipeline.NewCommand(null);
        command.SetRotationPolicy = new SetRotationPolicyOp { Policy = policy };
        var outcome = await pipeline.SubmitOnceAsync(command, token);
        if (outcome.Error is { } error)
            return error;
        return await GetPolicyAsync(policy.Name, token);
    }

    /// <summary>A policy as this node has it after catching up with the log.</summary>
    public async Task<Outcome<StoredRotationPolicy>> GetPolicyAsync(string name, CancellationToken token)
    {
        if (await pipeline.CatchUpAsync(token) is { } error)
            return error;
        return store.FindRotationPolicy(name) is { } found ? found : new ConfigError(ConfigErrorCode.NotFound, $"rotation policy '{name}' not found");
    }

    /// <summary>Every policy, after catching up with the log.</summary>
    public async Task<Outcome<IReadOnlyList<StoredRotationPolicy>>> ListPoliciesAsync(CancellationToken token)
        => await pipeline.CatchUpAsync(token) is { } error ? error : Outcome<IReadOnlyList<StoredRotationPolicy>>.From(store.RotationPolicies());

    /// <summary>Removes a policy; keys it covered keep their versions and stop rotating.</summary>
    public async Task<ConfigError?> DeletePolicyAsync(string name, CancellationToken token)
    {
        if (!RotationRules.IsValidName(name))
            return new ConfigError(ConfigErrorCode.InvalidArgument, "invalid policy name");
        var command = pipeline.NewCommand(null);
        command.DeleteRotationPolicy = new DeleteRotationPolicyOp { Name = name };
        return (await pipeline.SubmitOnceAsync(command, token)).Error;
    }

    /// <summary>
    /// Rotates a secret key now, as the caller: the policy covering it gives the generator (and
    /// restarts its period) unless <paramref name="generator"/> is given; a key no policy covers
    /// needs one.
    /// </summary>
    public async Task<Outcome<WriteResult>> RotateAsync(KeyPath path, RotationGenerator? generator, string? requestId, CancellationToken token)
    {
        if (generator is not null && !RotationRules.TryValidateGenerator(generator, out var invalid))
            return new ConfigError(ConfigErrorCode.InvalidArgument, invalid);
        if (await RotateDatabasePasswordAsync(path, generator, token) is { } databaseError)
            return databaseError;
        var outcome = await pipeline.SubmitAsync(async ct =>
        {
            var head = await store.GetAsync(path, 0, ct);
            if (head is null or { IsDeletion: true })
                return new ConfigError(ConfigErrorCode.NotFound, $"key '{path.Key}' not found");
            if (!head.Secret)
                return new ConfigError(ConfigErrorCode.InvalidArgument, $"key '{path.Key}' is not a secret; only secrets rotate");
            var policy = EffectivePolicy(store.RotationPolicies(), path);
            var chosen = generator ?? policy?.Policy.Generator;
            if (chosen is null)
                return new ConfigError(ConfigErrorCode.InvalidArgument, $"no rotation policy covers key '{path.Key}'; give a generator");
            var command = pipeline.NewCommand(requestId);
            command.RotateSecret = new RotateSecretOp
            {
                Key = path.ToStoreKey(), Policy = policy?.Policy.Name ?? "", PolicySetUnixMs = policy?.SetUnixMs ?? 0,
                ExpectedVersion = head.Version, Generator = chosen,
            };
            return command;
        }, token);
        return outcome.Error is { } failed ? failed : new WriteResult(path, outcome.Value!.Version, outcome.Value.Revision);
    }

    /// <summary>A key's rotation status: the policy covering it (or null) and its replicated state (or null), after catching up.</summary>
    public async Task<Outcome<(StoredRotationPolicy? Policy, RotationState? State)>> StatusAsync(KeyPath path, CancellationToken token)
    {
        if (await pipeline.CatchUpAsync(token) is { } error)
            return error;
        var policy = EffectivePolicy(store.RotationPolicies(), path);
        var state = store.FindRotationState(path);
        if (policy is null && state is null)
            return new ConfigError(ConfigErrorCode.NotFound, $"key '{path.Key}' has no rotation policy and was never rotated");
        return (policy, state);
    }

    /// <summary>A period as the edges spell it (<c>90s</c>, <c>12h</c>, <c>30d</c>) in milliseconds; bounds are the policy rules'.</summary>
    public static bool TryParseEvery(string? text, out long milliseconds, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        milliseconds = 0;
        if (string.IsNullOrWhiteSpace(text) || !Hosting.DurationParser.TryParse(text, out var period) || period <= TimeSpan.Zero)
        {
            error = $"every must be a duration like 90s, 12h or 30d{(string.IsNullOrWhiteSpace(text) ? " (it is required)" : $", not '{text}'")}";
            return false;
        }

        milliseconds = (long)Math.Min(period.TotalMilliseconds, long.MaxValue / 2);
        error = null;
        return true;
    }

    /// <summary>A key's last result as the status shows it: <c>failed</c> (attempts since the last rotation), <c>ok</c> or <c>never</c>.</summary>
    public static string LastResult(RotationState? state)
        => state?.Record is not { } record ? "never" : record.Attempts > 0 ? "failed" : record.Rotations > 0 ? "ok" : "never";

    /// <summary>When a key is next due under a policy (command-timestamp milliseconds).</summary>
    public static long NextDue(StoredRotationPolicy policy, RotationState? state)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var record = state?.Record;
        return RotationRules.NextDue(policy.Policy, policy.SetUnixMs, record?.Policy, record?.PolicySetUnixMs ?? 0, record?.NextDueUnixMs ?? 0, record?.LastRotatedUnixMs ?? 0);
    }

    /// <summary>The policy that governs a key: a key policy over a prefix policy, a longer prefix over a shorter, then by name.</summary>
    public static StoredRotationPolicy? EffectivePolicy(IEnumerable<StoredRotationPolicy> policies, KeyPath path)
        => policies.Where(p => RotationRules.Covers(p.Policy, path))
            .OrderByDescending(static p => p.Policy.Key.Length > 0)
            .ThenByDescending(static p => p.Policy.Prefix.Length)
            .ThenBy(static p => p.Policy.Name, StringComparer.Ordinal)
            .FirstOrDefault();

    /// <summary>
    /// For a rotation whose generator (the one given, else the covering policy's) is a database
    /// static role: the role's new password set in its database and confirmed, or why not. Null
    /// for other generators, and when the key is not a secret (the rotation itself then says so).
    /// </summary>
    private async Task<ConfigError?> RotateDatabasePasswordAsync(KeyPath path, RotationGenerator? generator, CancellationToken token)
    {
        if (generator is null)
        {
            if (await pipeline.CatchUpAsync(token) is { } behind)
                return behind;
            generator = EffectivePolicy(store.RotationPolicies(), path)?.Policy.Generator;
        }

        if (generator?.Database is not { } database)
            return null;
        if (await store.GetAsync(path, 0, token) is not { IsDeletion: false, Secret: true })
            return null;
        return await RotateStaticRoleAsync(database.StaticRole, token);
    }

    /// <summary>
    /// Gives a database generator's static role a new password now (before the key's version is
    /// proposed); an unknown role is INVALID_ARGUMENT (the engine checks after catching up).
    /// </summary>
    internal Task<ConfigError?> RotateStaticRoleAsync(string staticRole, CancellationToken token) => database.RotateStaticRoleNowAsync(staticRole, token);

    private async Task<ConfigError?> CheckStaticRoleAsync(string staticRole, CancellationToken token)
    {
        if (await pipeline.CatchUpAsync(token) is { } behind)
            return behind;
        return database.CheckStaticRole(staticRole) is { } missing ? new ConfigError(ConfigErrorCode.InvalidArgument, missing) : null;
    }

    /// <summary>
    /// Proposes a scheduled rotation serving <paramref name="due"/> (the leader's scheduler); with
    /// due 0, a database generator's follow-up (the static role's password moved on without the key).
    /// </summary>
    internal Task<Outcome<CommandResult>> RotateScheduledAsync(StoredRotationPolicy policy, KeyPath path, long expectedVersion, long due, CancellationToken token)
    {
        // No request id: the due time and expected version make a re-sent rotation harmless
        // (apply refuses one whose due time was already served), and a refused attempt must not
        // be remembered as the answer to the next.
        var command = pipeline.NewCommand(null);
        command.Author = AuthorPrefix + policy.Policy.Name;
        command.RotateSecret = new RotateSecretOp
        {
            Key = path.ToStoreKey(), Policy = policy.Policy.Name, PolicySetUnixMs = policy.SetUnixMs, DueUnixMs = due,
            ExpectedVersion = expectedVersion, Generator = policy.Policy.Generator,
        };
        return pipeline.SubmitRawAsync(command, token);
    }

    /// <summary>Records a rotation failure or a hook outcome in the log (the leader's scheduler).</summary>
    internal Task<Outcome<CommandResult>> ReportAsync(string policy, KeyPath path, RotationReportKind kind, long version, string error, CancellationToken token)
    {
        var command = pipeline.NewCommand(null);
        command.Author = AuthorPrefix + policy;
        command.RotationReport = new RotationReportOp { Key = path.ToStoreKey(), Policy = policy, Kind = kind, Version = version, Error = RotationRules.Clip(error) };
        return pipeline.SubmitRawAsync(command, token);
    }

    /// <summary>Waits until this node has applied everything committed so far.</summary>
    internal Task<ConfigError?> CatchUpAsync(CancellationToken token) => pipeline.CatchUpAsync(token);
}
