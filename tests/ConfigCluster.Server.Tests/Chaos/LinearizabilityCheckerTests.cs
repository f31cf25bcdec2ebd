namespace ConfigCluster.Server.Tests.Chaos;

/// <summary>The checker accepts linearizable histories and rejects ones that are not.</summary>
public sealed class LinearizabilityCheckerTests
{
    private static Operation W(int client, string value, long invoked, long completed, long version, Outcome outcome = Outcome.Ok, string? error = null)
        => new(client, "k", OpKind.Write, value, 0, invoked, completed, outcome, version, null, Error: error);

    private static Operation R(int client, string? value, long version, long invoked, long completed)
        => new(client, "k", OpKind.Read, null, 0, invoked, completed, Outcome.Ok, version, value);

    private static Operation Cas(int client, long expected, string value, long invoked, long completed, long version, bool mismatch = false)
        => new(client, "k", OpKind.CompareAndSet, value, expected, invoked, completed, mismatch ? Outcome.Failed : Outcome.Ok, version, null, mismatch);

    [Fact]
    public void Check_ConcurrentWritesAndReads_InSomeValidOrder_IsLinearizable()
    {
        var history = new[]
        {
            W(1, "a", 0, 10, 2),
            W(2, "b", 1, 5, 1),
            R(3, "b", 1, 2, 6),
            R(3, "a", 2, 11, 12),
            Cas(1, 2, "c", 13, 14, 3),
            Cas(2, 2, "d", 15, 16, 0, mismatch: true),
            R(2, "c", 3, 17, 18),
        };
        var (ok, explanation) = LinearizabilityChecker.Check(history);
        Assert.True(ok, explanation);
    }

    [Fact]
    public void Check_StaleRead_IsRejected()
    {
        var history = new[]
        {
            W(1, "a", 0, 1, 1),
            W(1, "b", 2, 3, 2),
            R(2, "a", 1, 4, 5), // read after "b" was acknowledged, but sees "a"
        };
        var (ok, explanation) = LinearizabilityChecker.Check(history);
        Assert.False(ok, explanation);
        Assert.Contains("stuck at client 2 read", explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_LostAcknowledgedWrite_IsRejected()
    {
        var history = new[]
        {
            W(1, "a", 0, 1, 1),
            W(2, "b", 2, 3, 2),
            R(3, "a", 1, 10, 11), // "b" was acknowledged as version 2, yet a later read sees version 1
        };
        Assert.False(LinearizabilityChecker.Check(history).Ok);
    }

    [Fact]
    public void Check_TwoAcknowledgedWritesClaimingOneVersion_IsRejected()
    {
        var history = new[] { W(1, "a", 0, 10, 1), W(2, "b", 1, 11, 1) };
        var (ok, explanation) = LinearizabilityChecker.Check(history);
        Assert.False(ok, explanation);
        Assert.Contains("two acknowledged writes claim version 1", explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_ReadOfValueNeverWritten_IsRejected()
    {
        var history = new[] { W(1, "a", 0, 1, 1), R(2, "ghost", 2, 2, 3) };
        var (ok, explanation) = LinearizabilityChecker.Check(history);
        Assert.False(ok, explanation);
        Assert.Contains("never written", explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_CompareAndSetRefusedAlthoughVersionMatched_IsRejected()
    {
        var history = new[]
        {
            W(1, "a", 0, 1, 1),
            R(2, "a", 1, 2, 3),
            Cas(2, 1, "b", 4, 5, 0, mismatch: true), // nothing else ran: the key was at version 1
        };
        var (ok, explanation) = LinearizabilityChecker.Check(history);
        Assert.False(ok, explanation);
    }

    [Fact]
    public void Check_AmbiguousWriteThatAppearsThenVanishes_IsRejected()
    {
        var history = new[]
        {
            W(1, "a", 0, 1, 1),
            W(2, "x", 2, 3, 0, Outcome.Ambiguous, "timeout"),
            R(3, "x", 2, 4, 5),
            R(3, "a", 1, 6, 7), // the ambiguous write was seen, then gone
        };
        var (ok, explanation) = LinearizabilityChecker.Check(history);
        Assert.False(ok, explanation);
    }

    [Fact]
    public void Check_FailedWriteThatWasApplied_IsRejectedNamingTheError()
    {
        var history = new[] { W(1, "a", 0, 1, 1), W(2, "x", 2, 3, 0, Outcome.Failed, "unavailable"), R(3, "x", 2, 4, 5) };
        var (ok, explanation) = LinearizabilityChecker.Check(history);
        Assert.False(ok, explanation);
        Assert.Contains("unavailable", explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_AmbiguousWrite_MayOrMayNotHaveHappened()
    {
        var happened = new[] { W(1, "a", 0, 1, 1), W(2, "x", 2, 3, 0, Outcome.Ambiguous), R(3, "x", 2, 5, 6) };
        var didNot = new[] { W(1, "a", 0, 1, 1), W(2, "x", 2, 3, 0, Outcome.Ambiguous), R(3, "a", 1, 5, 6) };
        var tookEffectLate = new[] { W(1, "a", 0, 1, 1), W(2, "x", 2, 3, 0, Outcome.Ambiguous), R(3, "a", 1, 5, 6), W(1, "b", 7, 8, 3) };
        Assert.True(LinearizabilityChecker.Check(happened).Ok);
        Assert.True(LinearizabilityChecker.Check(didNot).Ok);
        Assert.True(LinearizabilityChecker.Check(tookEffectLate).Ok);
    }

    [Fact]
    public void Check_CompareAndSetThatCannotHaveMatched_IsRejected()
    {
        var history = new[]
        {
            W(1, "a", 0, 1, 1),
            Cas(2, 5, "z", 2, 3, 2), // claims success expecting version 5, which never existed
        };
        Assert.False(LinearizabilityChecker.Check(history).Ok);
    }

    [Fact]
    public void Check_GeneratedValidHistoryOfMoreThan100kOperations_IsLinearizable()
    {
        var history = GeneratedHistory.Create(operations: 120_000, keys: 4, seed: 20);
        Assert.True(history.Count >= 100_000);
        foreach (var key in history.GroupBy(static o => o.Key))
        {
            var (ok, explanation) = LinearizabilityChecker.Check([.. key]);
            Assert.True(ok, $"{key.Key}: {explanation}");
        }
    }

    [Fact]
    public void Check_GeneratedHistoryWithOneStaleRead_IsRejected()
    {
        var history = GeneratedHistory.Create(operations: 20_000, keys: 1, seed: 21);
        var late = history.Last(static o => o.Kind == OpKind.Read && o.Version > 5);
        var stale = late with { Version = 1, ReadValue = history.Single(static o => o.IsWrite && o.Outcome == Outcome.Ok && o.Version == 1).Value };
        history[history.IndexOf(late)] = stale;
        var (ok, explanation) = LinearizabilityChecker.Check(history);
        Assert.False(ok, explanation);
    }
}
