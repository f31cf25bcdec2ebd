using ConfigCluster.Core.Commands;

namespace ConfigCluster.Server.Application;

/// <summary>The one mapping from a store's result code to what a caller is told.</summary>
public static class WriteResults
{
    /// <summary>Null when <paramref name="result"/> is a success, else the error it means.</summary>
    public static ConfigError? ToError(CommandResult result) => result.Code switch
    {
        ResultCode.ResultOk => null,
        ResultCode.ResultNotFound or ResultCode.ResultVersionNotFound => new ConfigError(ConfigErrorCode.NotFound, result.Message),
        ResultCode.ResultVersionMismatch => new ConfigError(ConfigErrorCode.VersionMismatch, result.Message) { CurrentVersion = result.CurrentVersion },
        ResultCode.ResultInvalid => new ConfigError(ConfigErrorCode.InvalidArgument, result.Message),
        ResultCode.ResultRetry => new ConfigError(ConfigErrorCode.Retry, result.Message),
        ResultCode.ResultNotEnabled => new ConfigError(ConfigErrorCode.FailedPrecondition, result.Message),
        // A store failure (or a code this node does not know) says nothing safe to show.
        _ => new ConfigError(ConfigErrorCode.Internal, "the store could not apply the write"),
    };
}
