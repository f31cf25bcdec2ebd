using ConfigCluster.Server.Faces.Vault;
using ConfigCluster.Server.Hosting;

namespace ConfigCluster.Server.Auth;

/// <summary>Registers machine login (the log clock, AppRole, JWT) and maps its routes.</summary>
internal static class MachineLoginServices
{
    /// <summary>The node's clock (shifted when the test-only <see cref="TestClockOffset"/> is set), the log clock and its ticker, and the login service.</summary>
    public static IServiceCollection AddMachineLogin(this IServiceCollection services)
    {
        services.AddSingleton(static provider =>
        {
            if (TestClockOffset.FromEnvironment() is not { } offset)
                return TimeProvider.System;
            DevLog.ClockOffset(provider.GetRequiredService<ILogger<LogClock>>(), (long)offset.TotalMilliseconds);
            return TestClockOffset.Create(offset);
        });
        services.AddSingleton<LogClock>();
        services.AddSingleton<MachineLogin>();
        services.AddHostedService<LogClockService>();
        services.AddHostedService<TokenReaper>(); // wip/tls
        return services;
    }

    /// <summary>Vault's AppRole and JWT auth routes.</summary>
    public static void MapMachineLoginEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapVaultAppRoleEndpoints();
        routes.MapVaultJwtEndpoints();
    }
}
