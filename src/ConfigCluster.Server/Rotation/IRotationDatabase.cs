using ConfigCluster.Server.Application;

namespace ConfigCluster.Server.Rotation;

/// <summary>
/// What a rotation with a database generator needs from the database engine: the static role's
/// password changed in its database now, before the key's new version is proposed (the leader's
/// <see cref="RotationValuePreparer"/> then copies the role's current password into that version).
/// </summary>
public interface IRotationDatabase
{
    /// <summary>Null when the static role exists; otherwise why a policy or rotation cannot use it.</summary>
    string? CheckStaticRole(string name);

    /// <summary>Gives the static role a new password in its database (or finishes one pending), confirmed through the log.</summary>
    Task<ConfigError?> RotateStaticRoleNowAsync(string name, CancellationToken token);
}
