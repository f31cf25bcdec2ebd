using ConfigCluster.Core.Keys;

namespace ConfigCluster.Server.Application;

/// <summary>The scope a request means when it names none.</summary>
public static class Scopes
{
    /// <summary><paramref name="value"/>, or <see cref="KeyPath.DefaultScope"/> when it is null or empty.</summary>
    public static string OrDefault(string? value) => string.IsNullOrEmpty(value) ? KeyPath.DefaultScope : value;
}
