namespace ConfigCluster.Server.Tests.Chaos;

/// <summary>The checker accepts linearizable histories and rejects ones that are not.</summary>
public sealed class LinearizabilityCheckerTests
{
    private static Operation W(int client, string value, long invoked, long completed, long version, Outcome outcome = Outcome.Ok)
        => new(client, "k", OpKind.Write, value, 0, invoked, completed, outcome, version, null);

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
        Assert.True(LinearizabilityChecker.Check(history).Ok);
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
    public void Check_AmbiguousWrite_MayOrMayNotHaveHappened()
    {
        var happened = new[] { W(1, "a", 0, 1, 1), W(2, "x", 2, 3, 0, Outcome.Ambiguous), R(3, "x", 2, 5, 6) };
        var didNot = new[] { W(1, "a", 0, 1, 1), W(2, "x", 2, 3, 0, Outcome.Ambiguous), R(3, "a", 1, 5, 6) };
        Assert.True(LinearizabilityChecker.Check(happened).Ok);
        Assert.True(LinearizabilityChecker.Check(didNot).Ok);
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
}
