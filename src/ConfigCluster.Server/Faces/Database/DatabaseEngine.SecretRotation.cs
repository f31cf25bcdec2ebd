using ConfigCluster.Server.Application;
using ConfigCluster.Server.Rotation;
using ConfigCluster.Server.Secrets;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Faces.Database;

/// <summary>
/// The engine's side of a rotation policy whose generator is a static role's password: the
/// rotation changes the password through the static role's own steps (intent, ALTER ROLE,
/// confirmation), and the leader copies the role's confirmed password into the key's new version.
/// </summary>
internal sealed partial class DatabaseEngine : IRotationDatabase
{
    public string? CheckStaticRole(string name)
        => store.FindStaticRole(name) is null ? $"unknown static role: {name}" : null;

    public Task<ConfigError?> RotateStaticRoleNowAsync(string name, CancellationToken token) => RotateStaticRoleAsync(name, null, token);

    /// <summary>
    /// A static role's current (confirmed) password as UTF-8 and its generation, or null (no such
    /// role, no password yet, or this node is sealed); the caller zeroes it. Static, for the
    /// leader's proposal preparer, which the engine's own write path depends on.
    /// </summary>
    public static (byte[] Password, long Generation)? CurrentStaticPassword(IVersionedStore store, SecretKeyring keyring, string name)
    {
        if (store.FindStaticRole(name) is not { Generation: > 0 } role || keyring.SealedReason is not null)
            return null;
        return keyring.TryOpen(role.SealedPassword.Span, StaticRolePath(name), role.Generation, out var plaintext, out _) ? (plaintext, role.Generation) : null;
    }
}
