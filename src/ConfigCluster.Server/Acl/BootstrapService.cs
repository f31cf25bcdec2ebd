using ConfigCluster.Consensus;
using ConfigCluster.Server.Application;

namespace ConfigCluster.Server.Acl;

/// <summary>
/// On a fresh cluster's first start, the leader makes the first admin token (policy
/// <c>root</c>): <c>CONFIGCLUSTER_BOOTSTRAP_TOKEN</c> when set, otherwise a generated one printed
/// once to standard output. Nothing happens once any token exists.
/// </summary>
internal sealed partial class BootstrapService(RaftNode node, AclService acl, ConfigService config, NodeSettings settings, ILogger<BootstrapService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var given = Environment.GetEnvironmentVariable("CONFIGCLUSTER_BOOTSTRAP_TOKEN");
        while (!stoppingToken.IsCancellationRequested)
        {
            await node.WaitForLeaderAsync(stoppingToken);
            if (await config.CatchUpAsync(stoppingToken) is null && config.Store.Tokens().Count > 0)
                return;
            if (node.IsLeader)
            {
                var outcome = await acl.CreateTokenAsync("root", [PolicyEvaluator.RootPolicy], null, stoppingToken, secret: string.IsNullOrEmpty(given) ? null : given, bootstrap: true);
                if (outcome.Value is { } created)
                {
                    Log.Bootstrapped(logger, created.Accessor);
                    if (string.IsNullOrEmpty(given))
                    {
                        // Shown once, on the console only: it is never stored or logged.
                        Console.WriteLine($"configcluster: {(settings.Dev ? "development " : "")}admin token (shown once, keep it safe): {created.Token}");
                    }

                    return;
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), stoppingToken);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 6130, Level = LogLevel.Information, Message = "Access control bootstrapped: admin token 'root' created (accessor {Accessor})")]
        public static partial void Bootstrapped(ILogger logger, string accessor);
    }
}
