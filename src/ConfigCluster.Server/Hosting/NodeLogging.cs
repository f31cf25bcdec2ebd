using ConfigCluster.Server.Observability;

namespace ConfigCluster.Server.Hosting;

/// <summary>Console logging: text lines or JSON lines (<c>--log-format</c>), with noisy categories filtered.</summary>
internal static class NodeLogging
{
    public static void Configure(ILoggingBuilder logging, IConfiguration hostConfiguration, IConfiguration nodeConfiguration)
    {
        logging.ClearProviders();
        // Chosen while the host is built, before options are validated: an invalid format is
        // reported by the validator at start, and until then text is as good as any.
        if (nodeConfiguration["log-format"] == "json")
        {
            var nodeId = nodeConfiguration["node-id"] ?? "dev";
            logging.AddConsole(static options => options.FormatterName = JsonLineLogFormatter.FormatterName)
                .AddConsoleFormatter<JsonLineLogFormatter, JsonLineLogFormatterOptions>(options => options.NodeId = nodeId);
        }
        else
        {
            logging.AddSimpleConsole(static options =>
            {
                options.SingleLine = true;
                options.TimestampFormat = "HH:mm:ss.fff ";
                options.UseUtcTimestamp = true;
            });
        }

        logging.SetMinimumLevel(LogLevel.Information);
        // DotNext logs full stack traces every election timeout while a peer is down: keep it quiet by default.
        logging.AddFilter("DotNext", LogLevel.Critical);
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
        logging.AddFilter("Grpc", LogLevel.Warning);
        logging.AddFilter("System.Net.Http", LogLevel.Warning);
        // A node that is not ready (electing, catching up, waiting to join) answers 503 to every
        // probe: that is the probe's answer, not an error to log each time.
        logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.Critical);
        logging.AddConfiguration(hostConfiguration.GetSection("Logging"));
    }
}
