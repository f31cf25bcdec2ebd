using ConfigCluster.Client;

namespace ConfigCluster.Cli;

/// <summary>Exit codes scripts can rely on.</summary>
internal static class ExitCodes
{
    public const int Ok = 0, Usage = 1, NotFound = 2, Conflict = 3, Unavailable = 4, Denied = 5, Failed = 6;

    public static int For(Exception e) => e switch
    {
        ConfigNotFoundException => NotFound,
        ConfigVersionMismatchException => Conflict,
        ConfigValidationException => Usage,
        ConfigUnavailableException => Unavailable,
        ConfigAccessDeniedException => Denied,
        _ => Failed,
    };
}
