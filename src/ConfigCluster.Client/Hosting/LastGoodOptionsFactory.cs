using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ConfigCluster.Client.Hosting;

/// <summary>
/// Builds <typeparamref name="TOptions"/> as the standard <see cref="OptionsFactory{TOptions}"/>
/// does (configure, post-configure, validate), but keeps the last instance that passed: when a
/// reload produces a value that fails validation or cannot be bound, the failure is logged and the
/// previous valid instance is returned again, so <see cref="IOptionsMonitor{TOptions}.CurrentValue"/>
/// never throws and never shows an invalid value. Without a previous valid instance (the first
/// build) the failure is thrown, as the standard factory does, so <c>ValidateOnStart</c> stops a
/// misconfigured application before it serves.
/// </summary>
internal sealed class LastGoodOptionsFactory<TOptions>(
    IEnumerable<IConfigureOptions<TOptions>> setups,
    IEnumerable<IPostConfigureOptions<TOptions>> postConfigures,
    IEnumerable<IValidateOptions<TOptions>> validations,
    ILogger logger) : IOptionsFactory<TOptions>
    where TOptions : class
{
    private readonly OptionsFactory<TOptions> inner = new(setups, postConfigures, validations);
    private readonly ConcurrentDictionary<string, TOptions> lastGood = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public TOptions Create(string name)
    {
        try
        {
            var created = inner.Create(name);
            lastGood[name] = created;
            return created;
        }
        catch (OptionsValidationException e) when (lastGood.TryGetValue(name, out var kept))
        {
            // Validation messages name members, not values (write yours that way too).
            HostingLog.OptionsRejected(logger, typeof(TOptions).Name, name, string.Join("; ", e.Failures));
            return kept;
        }
        catch (InvalidOperationException e) when (lastGood.TryGetValue(name, out var kept))
        {
            // The binder's message may quote the value, which may be a secret: only its kind is logged.
            HostingLog.OptionsUnbindable(logger, typeof(TOptions).Name, name, e.GetType().Name);
            return kept;
        }
    }
}
