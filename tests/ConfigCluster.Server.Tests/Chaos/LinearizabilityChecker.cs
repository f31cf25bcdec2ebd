namespace ConfigCluster.Server.Tests.Chaos;

/// <summary>
/// Checks that the history of one key is linearizable for a versioned register: every applied
/// write or successful compare-and-set takes the next version, a read returns the current
/// version and value, a refused compare-and-set saw a different version. Only ambiguous
/// operations (timeouts, answers marked ambiguous) may or may not have taken effect; a write the
/// client was told failed never takes effect, so a read of its value fails the check.
/// First the evidence that needs no search (two acknowledged writes with one version, a read of
/// a value never written or written by a failed write), then <see cref="RegisterSearch"/>.
/// </summary>
public static class LinearizabilityChecker
{
    /// <summary>Checks one key's operations (call it once per key: keys are independent).</summary>
    public static (bool Ok, string Explanation) Check(IReadOnlyList<Operation> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.Select(static o => o.Key).Distinct().Count() > 1)
            throw new ArgumentException("check one key at a time", nameof(history));
        if (Evidence(history) is { } violation)
            return (false, "not linearizable: " + violation);
        return new RegisterSearch(history).Run();
    }

    /// <summary>A violation visible without searching, or null.</summary>
    private static string? Evidence(IReadOnlyList<Operation> history)
    {
        var acknowledged = history.Where(static o => o.IsWrite && o.Outcome == Outcome.Ok).ToList();
        foreach (var clash in acknowledged.GroupBy(static o => o.Version).Where(static g => g.Count() > 1))
            return $"two acknowledged writes claim version {clash.Key}: {string.Join("; ", clash)}";

        var writers = history.Where(static o => o.IsWrite && o.Value is not null).ToLookup(static o => o.Value!);
        foreach (var read in history.Where(static o => o.Kind == OpKind.Read && o.Outcome == Outcome.Ok && o.ReadValue is not null))
        {
            var candidates = writers[read.ReadValue!].ToList();
            if (candidates.Count == 0)
                return $"a read returned a value never written: {read}";
            if (candidates.All(static w => w.Outcome == Outcome.Failed))
                return $"a write the client was told failed ({string.Join(", ", candidates.Select(static w => w.Error))}) was applied after all: {candidates[0]} was read by {read}";
            if (candidates.All(w => w.Outcome == Outcome.Ok && w.Version != read.Version))
                return $"a read returned a value at a version other than the one its write was acknowledged with: {read}, written by {candidates[0]}";
        }

        return null;
    }
}
