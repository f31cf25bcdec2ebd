using ConfigCluster.Client;

namespace ConfigCluster.Server.Tests.Chaos;

/// <summary>The watch checker's verdicts on made-up streams: it passes the exact history and names each kind of fault.</summary>
public sealed class WatchCheckerTests
{
    private static readonly Dictionary<string, List<(long Version, long Revision, string Value)>> Final = new()
    {
        ["reg.a"] = [(1, 10, "1"), (2, 12, "2"), (3, 15, "3")],
        ["reg.b"] = [(1, 11, "\"x\"")],
    };

    private static ConfigChange Change(string key, long version, long revision, string value)
        => new(key, "default", value, version, revision, Contracts.V1.Operation.Put, false, "root");

    private static List<string> Check(params ConfigChange[] changes)
        => [.. WatchChecker.Differences("reg.", ["reg.a", "reg.b"], changes, Final)];

    [Fact]
    public void ExactHistory_InRevisionOrder_Passes()
        => Assert.Empty(Check(Change("reg.a", 1, 10, "1"), Change("reg.b", 1, 11, "\"x\""), Change("reg.a", 2, 12, "2"), Change("reg.a", 3, 15, "3")));

    [Fact]
    public void Gap_IsFound()
        => Assert.Contains(Check(Change("reg.a", 1, 10, "1"), Change("reg.b", 1, 11, "\"x\""), Change("reg.a", 3, 15, "3")), static p => p.Contains("key reg.a", StringComparison.Ordinal) && p.Contains("first difference at #1", StringComparison.Ordinal));

    [Fact]
    public void Duplicate_IsFound()
    {
        var problems = Check(Change("reg.a", 1, 10, "1"), Change("reg.b", 1, 11, "\"x\""), Change("reg.a", 2, 12, "2"), Change("reg.a", 2, 12, "2"), Change("reg.a", 3, 15, "3"));
        Assert.Contains(problems, static p => p.Contains("delivered after reg.a v2", StringComparison.Ordinal));
        Assert.Contains(problems, static p => p.Contains("4 changes seen, 3 in the final history", StringComparison.Ordinal));
    }

    [Fact]
    public void OutOfRevisionOrder_IsFound()
        => Assert.Contains(Check(Change("reg.b", 1, 11, "\"x\""), Change("reg.a", 1, 10, "1"), Change("reg.a", 2, 12, "2"), Change("reg.a", 3, 15, "3")), static p => p.Contains("at revision 10 delivered after reg.b v1 at revision 11", StringComparison.Ordinal));

    [Fact]
    public void MissingTail_AndUncommittedValue_AreFound()
    {
        Assert.Contains(Check(Change("reg.a", 1, 10, "1"), Change("reg.b", 1, 11, "\"x\""), Change("reg.a", 2, 12, "2")), static p => p.Contains("saw nothing", StringComparison.Ordinal));
        Assert.Contains(Check(Change("reg.a", 1, 10, "1"), Change("reg.b", 1, 11, "\"y\""), Change("reg.a", 2, 12, "2"), Change("reg.a", 3, 15, "3")), static p => p.Contains("key reg.b", StringComparison.Ordinal));
    }
}
