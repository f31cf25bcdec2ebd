using System.Diagnostics.CodeAnalysis;
using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;

namespace ConfigCluster.Core.Rotation;

/// <summary>
/// What a rotation policy must be, checked in one place: by the edge that accepts it (a 400 that
/// changes nothing) and by apply (deterministically, on every node), so the two never disagree.
/// </summary>
public static class RotationRules
{
    /// <summary>Shortest rotation period accepted.</summary>
    public static readonly TimeSpan MinEvery = TimeSpan.FromSeconds(1);

    /// <summary>Longest rotation period accepted (ten years).</summary>
    public static readonly TimeSpan MaxEvery = TimeSpan.FromDays(3650);

    /// <summary>Shortest and longest generated password.</summary>
    public const int MinPasswordLength = 8, MaxPasswordLength = 1024;

    /// <summary>Fewest and most random bytes.</summary>
    public const int MinRandomBytes = 8, MaxRandomBytes = 4096;

    /// <summary>Longest policy name; names use <c>A-Z a-z 0-9 _ - .</c>.</summary>
    public const int MaxNameLength = 128;

    /// <summary>Longest hook URL.</summary>
    public const int MaxHookUrlLength = 2048;

    /// <summary>Longest error text kept in a key's rotation status.</summary>
    public const int MaxErrorLength = 512;

    /// <summary>Whether a policy name is acceptable.</summary>
    public static bool IsValidName(string? name)
        => !string.IsNullOrEmpty(name) && name.Length <= MaxNameLength
           && name.All(static c => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '-' or '.');

    /// <summary>Checks a whole policy; the error is phrased for the caller.</summary>
    public static bool TryValidate(RotationPolicy? policy, [NotNullWhen(false)] out string? error)
    {
        error = null;
        if (policy is null)
            error = "the command has no policy";
        else if (!IsValidName(policy.Name))
            error = $"policy name must be 1-{MaxNameLength} of letters, digits, '_', '-' and '.'";
        else if (!KeyPath.TryValidateScope(Scope(policy.Namespace), "namespace", out error) || !KeyPath.TryValidateScope(Scope(policy.Environment), "environment", out error))
            return false;
        else if ((policy.Key.Length > 0) == (policy.Prefix.Length > 0))
            error = "a policy names exactly one of key and prefix";
        else if (policy.Key.Length > 0 && !KeyPath.TryValidateKey(policy.Key, out error))
            return false;
        else if (policy.Prefix.Length > 0 && !KeyPath.TryValidatePrefix(policy.Prefix, out error))
            return false;
        else if (policy.EveryMs < MinEvery.TotalMilliseconds || policy.EveryMs > MaxEvery.TotalMilliseconds)
            error = $"every must be between {MinEvery.TotalSeconds:0}s and {MaxEvery.TotalDays:0}d";
        else if (!TryValidateGenerator(policy.Generator, out error))
            return false;
        else if (policy.Generator.KindCase == RotationGenerator.KindOneofCase.Database && policy.Prefix.Length > 0)
            error = "a database generator rotates one key: name a key, not a prefix (keys sharing a static role's password would each rotate it for the others)";
        else if (policy.HookUrl.Length > 0 && !IsValidHookUrl(policy.HookUrl))
            error = $"hook must be an absolute http or https URL of at most {MaxHookUrlLength} characters";
        return error is null;
    }

    /// <summary>Checks a generator: one known kind, within its bounds.</summary>
    public static bool TryValidateGenerator(RotationGenerator? generator, [NotNullWhen(false)] out string? error)
    {
        error = generator?.KindCase switch
        {
            RotationGenerator.KindOneofCase.Password => generator.Password switch
            {
                { Length: < MinPasswordLength or > MaxPasswordLength } => $"password length must be between {MinPasswordLength} and {MaxPasswordLength}",
                { Lower: false, Upper: false, Digits: false, Symbols: false } => "a password needs at least one character class (lower, upper, digits, symbols)",
                var p when (p.Lower ? 1 : 0) + (p.Upper ? 1 : 0) + (p.Digits ? 1 : 0) + (p.Symbols ? 1 : 0) > p.Length => "password length is shorter than its classes",
                _ => null,
            },
            RotationGenerator.KindOneofCase.RandomBytes => generator.RandomBytes.Bytes is < MinRandomBytes or > MaxRandomBytes
                ? $"random bytes must be between {MinRandomBytes} and {MaxRandomBytes}"
                : null,
            RotationGenerator.KindOneofCase.Database => IsValidName(generator.Database.StaticRole) && generator.Database.StaticRole is not ("." or "..")
                ? null
                : $"a database generator names its static role (1-{MaxNameLength} of letters, digits, '_', '-' and '.')",
            _ => "a generator is required: password, random-bytes or database",
        };
        return error is null;
    }

    /// <summary>Whether <paramref name="policy"/> covers <paramref name="path"/> (its namespace, environment, and its key or a key under its prefix).</summary>
    public static bool Covers(RotationPolicy policy, KeyPath path)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return Scope(policy.Namespace) == path.Namespace && Scope(policy.Environment) == path.Environment
            && (policy.Key.Length > 0 ? policy.Key == path.Key : path.Key.StartsWith(policy.Prefix, StringComparison.Ordinal));
    }

    /// <summary>
    /// When a key is next due under a policy: its recorded due time while the record belongs to
    /// this policy generation, else one period after the later of the policy's set time and the
    /// key's last rotation. Pure: every node computes the same.
    /// </summary>
    public static long NextDue(RotationPolicy policy, long policySetUnixMs, string? statePolicy, long statePolicySetUnixMs, long stateNextDueUnixMs, long lastRotatedUnixMs)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (statePolicy == policy.Name && statePolicySetUnixMs == policySetUnixMs && stateNextDueUnixMs > 0)
            return stateNextDueUnixMs;
        return Math.Max(policySetUnixMs, lastRotatedUnixMs) + policy.EveryMs;
    }

    /// <summary>
    /// The due time after a scheduled rotation that served <paramref name="due"/> at
    /// <paramref name="now"/>: the next point of the period grid after now (a rotation late by
    /// more than a period does not make a burst of catch-up rotations).
    /// </summary>
    public static long AfterScheduled(long due, long every, long now)
        => now < due ? due + every : due + every * (((now - due) / every) + 1);

    /// <summary>Cuts an error text to <see cref="MaxErrorLength"/>.</summary>
    public static string Clip(string error)
        => error.Length <= MaxErrorLength ? error : error[..MaxErrorLength];

    private static string Scope(string value) => value.Length == 0 ? KeyPath.DefaultScope : value;

    private static bool IsValidHookUrl(string url)
        => url.Length <= MaxHookUrlLength && Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}
