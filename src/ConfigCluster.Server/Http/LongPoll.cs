using System.Globalization;
using ConfigCluster.Core.Keys;
using ConfigCluster.Server.Application;
using ConfigCluster.Server.Hosting;
using ConfigCluster.Server.Watch;

namespace ConfigCluster.Server.Http;

/// <summary>
/// Long-poll for <c>GET /config/{key}?wait=30s&amp;index=R</c>: returns as soon as the key's latest
/// revision is above R (at once if it already is), or when the wait runs out; the answer then
/// carries the key's current state and its revision in <c>X-Config-Index</c>. Fed by the same
/// change feed as the watches.
/// </summary>
internal static class LongPoll
{
    public const string IndexHeader = "X-Config-Index";
    private static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(5);

    /// <summary>Waits; returns a problem answer for bad parameters, otherwise null.</summary>
    public static async Task<IResult?> WaitAsync(HttpRequest request, KeyPath path, ConfigService config, ChangeFeed feed, ReadConsistency consistency, CancellationToken token)
    {
        if (!DurationParser.TryParse(request.Query["wait"], out var wait) || wait < TimeSpan.Zero || wait > MaxWait)
            return HttpErrors.BadRequest($"wait must be a duration up to {MaxWait.TotalMinutes:0}m, like 30s");
        if (!RequestParameters.TryGetLong(request, "index", 0, out var index, out var problem))
            return problem;

        // Subscribe before looking, so a change between the look and the wait is not missed.
        WatchFilter.TryCreate(config.Store, path.Namespace, path.Environment, path.Key, null, out var filter, out _);
        using var subscription = feed.Subscribe(filter ?? WatchFilter.Exact(path));
        if (consistency == ReadConsistency.Linearizable)
        {
            // A failed barrier shows up again on the read that follows; no need to answer it here.
            await config.CatchUpAsync(token);
        }

        if (await KeyRevisionAsync(config, path, token) > (index ?? 0))
            return null;

        var due = feed.DueAfter(wait);
        try
        {
            while (true)
            {
                while (subscription.TryRead(out var change))
                {
                    if (change.Revision > (index ?? 0))
                        return null;
                }

                subscription.ThrowIfEnded();
                if (feed.HasPassed(due))
                    break; // the wait ran out: answer with the current state
                await subscription.WaitAsync(due, token);
            }
        }
        catch (WatchEndedException)
        {
            // The feed ended (snapshot install, shutdown): answer with the current state.
        }

        return null;
    }

    /// <summary>The key's latest revision (deletions included) over the environment and its ancestors, 0 when it never existed.</summary>
    public static async Task<string> KeyIndexAsync(ConfigService config, KeyPath path, CancellationToken token)
        => (await KeyRevisionAsync(config, path, token)).ToString(CultureInfo.InvariantCulture);

    private static async Task<long> KeyRevisionAsync(ConfigService config, KeyPath path, CancellationToken token)
    {
        long newest = 0;
        foreach (var env in config.Store.InheritanceChain(path.Namespace, path.Environment))
        {
            if (KeyPath.TryCreate(path.Namespace, env, path.Key, out var candidate, out _) && await config.Store.GetAsync(candidate, 0, token) is { } head)
                newest = Math.Max(newest, head.Revision);
        }

        return newest;
    }
}
