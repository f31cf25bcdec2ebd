using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Core.Rotation;

namespace ConfigCluster.Core.Tests;

public sealed class RotationRulesTests
{
    private static RotationPolicy Policy(string key = "db.pw", string prefix = "") => new()
    {
        Name = "db", Key = key, Prefix = prefix, EveryMs = 2000,
        Generator = new RotationGenerator { Password = new PasswordGenerator { Length = 16, Lower = true } },
    };

    private static KeyPath Path(string key, string env = "default")
        => KeyPath.TryCreate("default", env, key, out var path, out var error) ? path : throw new ArgumentException(error);

    [Fact]
    public void TryValidate_AcceptsAKeyOrAPrefixPolicy_RefusesEachBadField()
    {
        Assert.True(RotationRules.TryValidate(Policy(), out _));
        Assert.True(RotationRules.TryValidate(Policy(key: "", prefix: "db."), out _));
        var bad = new (string What, Action<RotationPolicy> Break)[]
        {
            ("no name", static p => p.Name = ""),
            ("bad name", static p => p.Name = "a b"),
            ("key and prefix", static p => p.Prefix = "db."),
            ("neither", static p => p.Key = ""),
            ("bad key", static p => p.Key = "a..b"),
            ("short period", static p => p.EveryMs = 999),
            ("long period", static p => p.EveryMs = (long)TimeSpan.FromDays(4000).TotalMilliseconds),
            ("no generator", static p => p.Generator = null),
            ("empty generator", static p => p.Generator = new RotationGenerator()),
            ("short password", static p => p.Generator.Password.Length = 7),
            ("no class", static p => p.Generator.Password.Lower = false),
            ("few bytes", static p => p.Generator = new RotationGenerator { RandomBytes = new RandomBytesGenerator { Bytes = 4 } }),
            ("ftp hook", static p => p.HookUrl = "ftp://example.invalid/x"),
            ("relative hook", static p => p.HookUrl = "/hook"),
            ("bad namespace", static p => p.Namespace = "Bad NS"),
        };
        foreach (var (what, breakIt) in bad)
        {
            var policy = Policy();
            breakIt(policy);
            Assert.False(RotationRules.TryValidate(policy, out var error), what);
            Assert.False(string.IsNullOrEmpty(error), what);
        }
    }

    [Fact]
    public void DatabaseGenerator_NamesAStaticRole_OnAKeyPolicyOnly()
    {
        static RotationPolicy Database(string role, string key = "db.pw", string prefix = "")
        {
            var policy = Policy(key, prefix);
            policy.Generator = new RotationGenerator { Database = new DatabasePasswordGenerator { StaticRole = role } };
            return policy;
        }

        Assert.True(RotationRules.TryValidate(Database("app"), out _));
        Assert.True(RotationRules.TryValidateGenerator(Database("app.static-1").Generator, out _));
        Assert.False(RotationRules.TryValidate(Database("app", key: "", prefix: "db."), out var prefixError));
        Assert.Contains("prefix", prefixError, StringComparison.Ordinal);
        foreach (var role in new[] { "", "a b", "..", "x\"y", new string('r', RotationRules.MaxNameLength + 1) })
        {
            Assert.False(RotationRules.TryValidateGenerator(Database(role).Generator, out var error), role);
            Assert.Contains("static role", error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Covers_MatchesTheKeyOrThePrefix_InItsScopeOnly()
    {
        Assert.True(RotationRules.Covers(Policy(), Path("db.pw")));
        Assert.False(RotationRules.Covers(Policy(), Path("db.pw2")));
        Assert.False(RotationRules.Covers(Policy(), Path("db.pw", env: "prod")));
        Assert.True(RotationRules.Covers(Policy(key: "", prefix: "db."), Path("db.anything")));
        Assert.False(RotationRules.Covers(Policy(key: "", prefix: "db."), Path("dbx.anything")));
    }

    [Fact]
    public void NextDue_FollowsTheRecordOfThisPolicyGeneration_ElseOnePeriodAfterSetOrLastRotation()
    {
        var policy = Policy();
        Assert.Equal(12_000, RotationRules.NextDue(policy, 10_000, null, 0, 0, 0));
        Assert.Equal(50_000, RotationRules.NextDue(policy, 10_000, "db", 10_000, 50_000, 48_000));
        // The policy was set again (a new generation): the old record's due time no longer counts.
        Assert.Equal(22_000, RotationRules.NextDue(policy, 20_000, "db", 10_000, 50_000, 18_000));
        Assert.Equal(32_000, RotationRules.NextDue(policy, 20_000, "other", 20_000, 50_000, 30_000));
    }

    [Fact]
    public void AfterScheduled_KeepsThePeriodGrid_AndSkipsMissedPeriodsWithoutABurst()
    {
        Assert.Equal(12_000, RotationRules.AfterScheduled(10_000, 2000, 10_000));
        Assert.Equal(12_000, RotationRules.AfterScheduled(10_000, 2000, 11_500));
        Assert.Equal(14_000, RotationRules.AfterScheduled(10_000, 2000, 12_000));
        Assert.Equal(18_000, RotationRules.AfterScheduled(10_000, 2000, 17_999));
    }
}
