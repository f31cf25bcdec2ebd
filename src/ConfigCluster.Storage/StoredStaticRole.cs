using ConfigCluster.Storage.Records;

namespace ConfigCluster.Storage;

/// <summary>
/// A static role of the database secrets engine as replicated: a long-lived database user whose
/// password the engine rotates every <see cref="RotationPeriod"/>. Passwords are sealed (under
/// <c>database/static-roles/NAME</c> at their generation); every time comes from a log timestamp.
/// </summary>
public sealed record StoredStaticRole(
    string Name,
    string DbName,
    string Username,
    TimeSpan RotationPeriod,
    IReadOnlyList<string> RotationStatements,
    ReadOnlyMemory<byte> SealedPassword,
    long Generation,
    DateTimeOffset? LastRotatedAt,
    ReadOnlyMemory<byte> PendingSealedPassword,
    DateTimeOffset CreatedAt)
{
    /// <summary>When the pending rotation was recorded (log time), or null.</summary>
    public DateTimeOffset? PendingSince { get; init; }

    /// <summary>Whether a rotation was recorded but not yet confirmed.</summary>
    public bool HasPending => !PendingSealedPassword.IsEmpty;

    /// <summary>When the password is next due (log time): at once until the first rotation, then the last rotation + the period.</summary>
    public DateTimeOffset NextDue => LastRotatedAt is { } last ? last + RotationPeriod : CreatedAt;

    internal static StoredStaticRole From(DatabaseStaticRoleRecord record) => new(
        record.Name, record.DbName, record.Username, TimeSpan.FromMilliseconds(record.RotationPeriodMs), [.. record.RotationStatements],
        record.SealedPassword.Memory, record.Generation,
        record.LastRotatedUnixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(record.LastRotatedUnixMs) : null,
        record.PendingSealedPassword.Memory, DateTimeOffset.FromUnixTimeMilliseconds(record.CreatedUnixMs))
    {
        PendingSince = record.PendingSinceUnixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(record.PendingSinceUnixMs) : null,
    };
}
