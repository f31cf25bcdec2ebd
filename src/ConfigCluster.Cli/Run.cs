using System.CommandLine;
using ConfigCluster.Client;

namespace ConfigCluster.Cli;

/// <summary>Runs a command body with a client, turning failures into one stderr line and an exit code.</summary>
internal static class Run
{
    public static Func<ParseResult, CancellationToken, Task<int>> With(Func<ParseResult, ConfigClusterClient, CancellationToken, Task> body)
        => async (parse, token) =>
        {
            try
            {
                using var client = GlobalOptions.Client(parse);
                await body(parse, client, token);
                return ExitCodes.Ok;
            }
            catch (ConfigClusterException e)
            {
                Console.Error.WriteLine($"ccctl: {e.Message}");
                return ExitCodes.For(e);
            }
            catch (Exception e) when (e is UriFormatException or ArgumentException or IOException or InvalidDataException or FormatException or System.Text.Json.JsonException or KeyNotFoundException)
            {
                Console.Error.WriteLine($"ccctl: {e.Message}");
                return ExitCodes.Usage;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return ExitCodes.Ok;
            }
        };
}
