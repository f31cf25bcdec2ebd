namespace ConfigCluster.Consensus.Tests;

/// <summary>
/// The leader's commit rule for 4+ voting members, over every combination of what the followers
/// reported and the leader synced (indexes 0-3), for 4 to 7 voters: the index it allows is held by a
/// majority, and no higher index is. DotNext 6.12's rule (the median of the first majority of
/// answers) is checked against the same definition, to show what the clamp is for.
/// </summary>
public sealed class MajorityCommitRuleTests
{
    private const int MaxIndex = 3;

    public static TheoryData<int> Voters => [4, 5, 6, 7];

    [Theory]
    [MemberData(nameof(Voters))]
    public void MajorityIndex_IsTheHighestIndexAMajorityHolds_ForEveryCombination(int voters)
    {
        var followers = Enumerable.Range(1, voters - 1).Select(static i => $"f{i}:4000").ToArray();
        var checkedCombinations = 0;
        foreach (var held in Combinations(voters))
        {
            var rule = new MajorityCommitRule();
            rule.Lead(7);
            for (var i = 0; i < followers.Length; i++)
            {
                if (held[i] > 0)
                    Assert.True(rule.Report(followers[i], held[i], 7));
            }

            var allowed = rule.MajorityIndex(followers, leaderDurable: held[^1]);
            Assert.Equal(HighestHeldByAMajority(held), allowed);
            checkedCombinations++;
        }

        Assert.Equal((int)Math.Pow(MaxIndex + 1, voters), checkedCombinations);
    }

    // DotNext 6.12: the barrier completes at the first majority of answers and commits element
    // (q-1)/2 of them sorted. Some first majority of answers commits an index fewer than a
    // majority hold from 4 voters on (never with 3): the reason for the clamp.
    [Theory]
    [InlineData(3, false)]
    [InlineData(4, true)]
    [InlineData(5, true)]
    public void DotNextsMedianOfTheFirstMajority_CommitsWhatNoMajorityHolds_From4Voters(int voters, bool unsafeSomewhere)
    {
        var majority = voters / 2 + 1;
        var found = false;
        foreach (var held in Combinations(voters))
        {
            // The first majority of answers: the leader's own and the first majority-1 followers'.
            var answers = held.Take(majority - 1).Append(held[^1]).Order().ToArray();
            var dotNext = answers[(answers.Length - 1) / 2];
            found |= dotNext > HighestHeldByAMajority(held);
        }

        Assert.Equal(unsafeSomewhere, found);
    }

    [Fact]
    public void Reports_OfAnotherTerm_OrWhileFollowing_CountNothing()
    {
        string[] followers = ["a:1", "b:1", "c:1", "d:1"];
        var rule = new MajorityCommitRule();
        Assert.False(rule.Report("a:1", 10, 0)); // not leading
        rule.Lead(3);
        Assert.False(rule.Report("a:1", 10, 2));
        Assert.False(rule.Report("b:1", 10, 4));
        Assert.Equal(0, rule.MajorityIndex(followers, leaderDurable: 10));

        Assert.True(rule.Report("a:1", 10, 3));
        Assert.True(rule.Report("b:1", 8, 3));
        Assert.Equal(8, rule.MajorityIndex(followers, leaderDurable: 10));

        Assert.True(rule.Report("b:1", 5, 3)); // an older report never lowers what was counted
        Assert.Equal(8, rule.MajorityIndex(followers, leaderDurable: 10));

        rule.Lead(4); // a new term: the earlier reports are forgotten
        Assert.Equal(0, rule.MajorityIndex(followers, leaderDurable: 10));
        rule.Lead(-1);
        Assert.False(rule.Report("a:1", 10, 4));
    }

    [Fact]
    public void MajorityIndex_StandsAsideBelow4Voters()
    {
        var rule = new MajorityCommitRule();
        rule.Lead(1);
        Assert.Equal(long.MaxValue, rule.MajorityIndex(["a:1", "b:1"], leaderDurable: 0));
        Assert.Equal(long.MaxValue, rule.MajorityIndex([], leaderDurable: 0));
    }

    // Every assignment of indexes 0..MaxIndex to the voters; the last slot is the leader's.
    private static IEnumerable<long[]> Combinations(int voters)
    {
        var held = new long[voters];
        while (true)
        {
            yield return (long[])held.Clone();
            var i = 0;
            while (i < voters && held[i] == MaxIndex)
                held[i++] = 0;
            if (i == voters)
                yield break;
            held[i]++;
        }
    }

    private static long HighestHeldByAMajority(long[] held)
    {
        var majority = held.Length / 2 + 1;
        for (long index = MaxIndex; index > 0; index--)
        {
            if (held.Count(h => h >= index) >= majority)
                return index;
        }

        return 0;
    }
}
