namespace ConfigCluster.Server.Hosting;

/// <summary>Loud messages of development mode.</summary>
internal static partial class DevLog
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Warning, Message = "DEVELOPMENT MODE: generated a master key into {File}. Anyone who can read that file can decrypt every secret. Never do this in production: set CONFIGCLUSTER_MASTER_KEY or --master-key-file.")]
    public static partial void GeneratedMasterKey(ILogger logger, string file);
}
