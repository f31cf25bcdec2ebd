using ConfigCluster.Server.Faces.Vault;
using ConfigCluster.Server.Hosting;

namespace ConfigCluster.Server.Auth;

/// <summary>Registers machine login (the log clock, AppRole, JWT) and maps its routes.</summary>
internal static class MachineLoginServices
{
    /// <summary>
    /// The node's clock (a <see cref="SteadyClock"/> over the system clock, shifted when the
    /// test-only <see cref="TestClockOffset"/> is set), the log clock and its ticker, and the login service.
    /// </summary>
    public static IServiceCollection AddMachineLogin(this IServiceCollection services)
    {
        services.AddSingleton<TimeProvider>(static provider => new SteadyClock(WallClock(provider), provider.GetRequiredService<ILogger<SteadyClock>>()));
        services.AddSingleton<LogClock>();
        services.AddSingleton<JwksFetcher>();
        services.AddSingleton<MachineLogin>();
        services.AddHostedService<LogClockService>();
        services.AddHostedService<TokenReaper>();
        return services;
    }

    private static TimeProvider WallClock(IServiceProvider provider)
    {
        if (TestClockOffset.FileFromEnvironment() is { } file)
        {
            DevLog.ClockOffsetFile(provider.GetRequiredService<ILogger<LogClock>>(), file);
            return TestClockOffset.FromFile(file);
        }

        if (TestClockOffset.FromEnvironment() is not { } offset)
            return TimeProvider.System;
        DevLog.ClockOffset(provider.GetRequiredService<ILogger<LogClock>>(), (long)offset.TotalMilliseconds);
        return TestClockOffset.Create(offset);
    }

    /// <summary>Vault's AppRole and JWT auth routes.</summary>
    public static void MapMachineLoginEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapVaultAppRoleEndpoints();
        routes.MapVaultJwtEndpoints();
    }
}
