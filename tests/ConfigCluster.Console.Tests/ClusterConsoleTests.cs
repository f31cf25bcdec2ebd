using ConfigCluster.Server.Tests.Harness;
using static Microsoft.Playwright.Assertions;

namespace ConfigCluster.Console.Tests;

/// <summary>The cluster page in a real browser, and what the console shows when a node dies.</summary>
public sealed class ClusterConsoleTests(ConsoleCluster fixture) : IClassFixture<ConsoleCluster>
{
    [Fact]
    public async Task KilledLeader_IsMarkedUnhealthy_NewLeaderNamed_WatchOnItReconnects()
    {
        var cluster = fixture.Cluster;
        var leader = await cluster.WaitForLeaderAsync(TestCluster.StartTimeout);
        var follower = await cluster.FollowerAsync();
        var leaderId = cluster[leader].NodeId;
        await cluster[follower].Http.MustPutAsync("chart.writes", 1);

        await using var status = await fixture.OpenAsync(follower);
        await status.Page.ClickAsync("#nav a[data-page=cluster]");
        await Expect(status.Locator("#cluster-summary")).ToContainTextAsync($"Leader: {leaderId}");
        await Expect(status.Locator($"#member-table tr[data-node=\"{leaderId}\"] .health")).ToHaveTextAsync("healthy");
        await Expect(status.Locator("#chart-writes")).ToBeVisibleAsync();
        await Expect(status.Locator("#chart-lag")).ToBeVisibleAsync();
        await status.ScreenshotAsync("before");

        // A second tab watches keys on the leader, the node about to die.
        await using var keys = await fixture.OpenAsync(leader);
        await keys.OpenKeysAsync();
        await Expect(keys.Locator("#live")).ToHaveTextAsync("Live");

        await cluster.KillNodeAsync(leader);
        await Expect(status.Locator($"#member-table tr[data-node=\"{leaderId}\"] .health")).ToHaveTextAsync("unhealthy", new() { Timeout = 20_000 });
        await Expect(status.Locator("#cluster-summary")).ToContainTextAsync("Leader: n", new() { Timeout = 20_000 });
        await Expect(status.Locator("#cluster-summary")).Not.ToContainTextAsync($"Leader: {leaderId} ", new() { Timeout = 20_000 });
        var newLeader = await cluster.WaitForLeaderAsync(TestCluster.StartTimeout);
        await Expect(status.Locator("#cluster-summary")).ToContainTextAsync($"Leader: {cluster[newLeader].NodeId}");
        await Expect(keys.Locator("#live")).ToHaveTextAsync("Reconnecting…");
        await status.ScreenshotAsync("after-kill");
        await keys.ScreenshotAsync("reconnecting");

        // Back up: the tab's watch reconnects from the revision it had and catches up.
        await cluster[newLeader].Http.MustPutAsync("while.down", "written meanwhile");
        await cluster.StartNodeAsync(leader);
        await Expect(keys.Locator("#live")).ToHaveTextAsync("Live", new() { Timeout = 30_000 });
        await Expect(keys.Locator(".leaf[data-key=\"while.down\"]")).ToBeVisibleAsync(new() { Timeout = 10_000 });
        await keys.ScreenshotAsync("reconnected");
        status.AssertNoErrors();
        // The dead node's tab saw its connections refused while the node was down; nothing else (no script error).
        Assert.All(keys.Errors, e => Assert.Matches("^console: (WebSocket connection to .* failed|Failed to load resource: net::ERR_)", e));
    }

    [Fact]
    public async Task Admin_TransfersLeadership_FromTheMembersTable()
    {
        var cluster = fixture.Cluster;
        var leader = await cluster.WaitForLeaderAsync(TestCluster.StartTimeout);
        var target = cluster[(leader + 1) % cluster.Nodes.Count].NodeId;
        await using var ui = await fixture.OpenAsync(leader);
        await ui.Page.ClickAsync("#nav a[data-page=cluster]");
        await ui.Locator($"button.transfer[data-node=\"{target}\"]").ClickAsync();
        await ui.Locator("#confirm-ok").ClickAsync();
        await Expect(ui.Locator("#cluster-summary")).ToContainTextAsync($"Leader: {target}", new() { Timeout = 20_000 });
        await ui.ScreenshotAsync();
        ui.AssertNoErrors();
    }
}
