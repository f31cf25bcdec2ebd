using Microsoft.Extensions.Logging;

namespace ConfigCluster.Client.Hosting;

/// <summary>Source-generated log messages of the hosting integration (event ids 1200–1299). Values are never logged.</summary>
internal static partial class HostingLog
{
    [LoggerMessage(1200, LogLevel.Warning, "The new configuration of {OptionsType} ('{Name}') failed validation and was not applied; keeping the last valid value. Failures: {Failures}")]
    public static partial void OptionsRejected(ILogger logger, string optionsType, string name, string failures);

    [LoggerMessage(1201, LogLevel.Warning, "The new configuration of {OptionsType} ('{Name}') could not be bound ({Kind}) and was not applied; keeping the last valid value")]
    public static partial void OptionsUnbindable(ILogger logger, string optionsType, string name, string kind);

    [LoggerMessage(1202, LogLevel.Information, "ConfigCluster client created for {Count} endpoints (namespace '{Namespace}', environment '{Environment}')")]
    public static partial void ClientCreated(ILogger logger, int count, string @namespace, string environment);
}
