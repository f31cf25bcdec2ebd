using System.Net;
using System.Net.Http.Headers;
using ConfigCluster.Server.Tests.Harness;
using static Microsoft.Playwright.Assertions;

namespace ConfigCluster.Console.Tests;

/// <summary>Environments (diff, promote) and access (tokens, policies, audit, a limited token) in a real browser.</summary>
public sealed class AccessConsoleTests(ConsoleCluster fixture) : IClassFixture<ConsoleCluster>
{
    private HttpClient Admin => fixture.Cluster[0].Http;

    [Fact]
    public async Task Environments_SideBySideDiff_ThenPromoteAPrefixAfterPreview()
    {
        await Admin.MustPutAsync("promo.timeout", 30, "?env=staging");
        await Admin.MustPutAsync("promo.retries", 5, "?env=staging");
        await Admin.MustPutAsync("promo.retries", 3, "?env=prod");
        await Admin.MustPutAsync("promo.shared", "same"); // default: inherited by both, so no difference
        await Admin.MustPutAsync("other.flag", true, "?env=staging"); // outside the prefix

        await using var ui = await fixture.OpenAsync(2);
        await ui.Page.ClickAsync("#nav a[data-page=environments]");
        await Expect(ui.Locator("#nav a[data-page=environments][aria-current]")).ToHaveCountAsync(1); // mounted by the hashchange
        await ui.Locator("#diff-from-env").FillAsync("staging");
        await ui.Locator("#diff-to-env").FillAsync("prod");
        await ui.Locator("#diff-prefix").FillAsync("promo.");
        await Expect(ui.Locator("#diff-prefix")).ToHaveValueAsync("promo.");
        await ui.Locator("#compare").ClickAsync();
        await Expect(ui.Locator("#diff-table")).ToBeVisibleAsync();
        var rows = await ui.Locator("#diff-table tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.key)");
        Assert.Equal(["promo.retries", "promo.timeout"], rows); // promo.shared is the same in both, other.flag is outside the prefix
        await Expect(ui.Locator("#live")).ToBeHiddenAsync(); // the keys page it left started no watch
        await Expect(ui.Locator("#diff-table tr[data-key=\"promo.timeout\"]")).ToContainTextAsync("only in staging");
        await Expect(ui.Locator("#diff-table tr[data-key=\"promo.retries\"] td").Nth(1)).ToHaveTextAsync("5");
        await Expect(ui.Locator("#diff-table tr[data-key=\"promo.retries\"] td").Nth(2)).ToHaveTextAsync("3");
        await ui.ScreenshotAsync("diff");

        await ui.Locator("#promote-preview-button").ClickAsync();
        await Expect(ui.Locator("#changeset li")).ToHaveCountAsync(2);
        await ui.Locator("#promote-message").FillAsync("release 42");
        await ui.ScreenshotAsync("preview");
        await ui.Locator("#promote").ClickAsync();
        await ui.Locator("#confirm-ok").ClickAsync();
        await Expect(ui.Locator("#no-diff")).ToBeVisibleAsync();

        var (_, timeout) = await Admin.GetJsonAsync("/config/promo.timeout?env=prod");
        Assert.Equal("prod", timeout!["source"]!.GetValue<string>());
        Assert.Equal(30, timeout["value"]!.GetValue<int>());
        Assert.Equal(5, (await Admin.GetJsonAsync("/config/promo.retries?env=prod")).Body!["value"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.NotFound, (await Admin.GetJsonAsync("/config/other.flag?env=prod")).Status);
        ui.AssertNoErrors();
    }

    [Fact]
    public async Task Tokens_CreateShowsTheSecretOnce_RevokeStopsIt()
    {
        await using var ui = await fixture.OpenAsync(1);
        await ui.Page.ClickAsync("#nav a[data-page=access]");
        await ui.Locator("#token-name").FillAsync("made-in-console");
        await ui.Locator("#token-ttl").FillAsync("1h");
        await ui.Locator("#token-create").ClickAsync();
        var secret = (await ui.Locator("#new-token").TextContentAsync())!;
        Assert.StartsWith("cc_", secret, StringComparison.Ordinal);
        var accessor = (await ui.Locator("#new-accessor").TextContentAsync())!;
        await Expect(ui.Locator($"#token-table tr[data-accessor=\"{accessor}\"] .state")).ToHaveTextAsync("active");
        await ui.ScreenshotAsync("created");
        using var client = new HttpClient { BaseAddress = new Uri(fixture.Cluster[0].HttpUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        // The token has no policy: known (403 on a key route), not refused as unknown (401).
        await Eventually.WaitAsync(async () => (await client.GetAsync("/config?limit=1")).StatusCode == HttpStatusCode.Forbidden, TimeSpan.FromSeconds(10), "the new token to be known");

        await ui.Locator("#token-secret-done").ClickAsync();
        Assert.DoesNotContain(secret, await ui.Page.ContentAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(secret, await ui.StorageAsync(), StringComparison.Ordinal);

        await ui.Locator($"button.revoke[data-accessor=\"{accessor}\"]").ClickAsync();
        await ui.Locator("#confirm-ok").ClickAsync();
        await Expect(ui.Locator($"#token-table tr[data-accessor=\"{accessor}\"] .state")).ToHaveTextAsync("revoked");
        await Eventually.WaitAsync(async () => (await client.GetAsync("/config?limit=1")).StatusCode == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(10), "the revoked token to be refused");
        await ui.ScreenshotAsync("revoked");
        ui.AssertNoErrors();
    }

    [Fact]
    public async Task PrefixToken_SeesOnlyItsKeys_AndNoAdminPagesOrActions()
    {
        Assert.Equal(HttpStatusCode.OK, (await Admin.SendAsync(HttpMethod.Put, "/acl/policies/team-a-read",
            "{\"rules\": [{\"path\": \"teama.*\", \"capabilities\": [\"read\", \"list\", \"watch\", \"history\"]}]}")).Status);
        var (status, created) = await Admin.SendAsync(HttpMethod.Post, "/acl/tokens", "{\"name\": \"team-a\", \"policies\": [\"team-a-read\"], \"ttl\": \"1h\"}");
        Assert.Equal(HttpStatusCode.OK, status);
        await Admin.MustPutAsync("teama.endpoint", "https://a.internal");
        await Admin.MustPutAsync("teamb.endpoint", "https://b.internal");
        var token = created!["token"]!.GetValue<string>();
        foreach (var node in fixture.Cluster.Nodes)
            await Eventually.WaitAsync(async () => (await node.Anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/config/teama.endpoint") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token) } })).IsSuccessStatusCode,
                TimeSpan.FromSeconds(10), $"the team token on {node.NodeId}");

        await using var ui = await fixture.OpenAsync(0, token);
        await Expect(ui.Locator("#nav a[data-page=access]")).ToBeHiddenAsync();
        await ui.OpenKeysAsync();
        await Expect(ui.Locator(".leaf[data-key=\"teama.endpoint\"]")).ToBeVisibleAsync();
        await Expect(ui.Locator("#tree .leaf")).ToHaveCountAsync(1);
        await Expect(ui.Locator("#new-key")).ToBeHiddenAsync();
        await ui.OpenKeyAsync("teama.endpoint");
        await Expect(ui.Locator("#value")).ToHaveTextAsync("\"https://a.internal\"");
        await Expect(ui.Locator("#edit")).ToHaveCountAsync(0);
        await Expect(ui.Locator("#delete")).ToHaveCountAsync(0);
        Assert.DoesNotContain("teamb", await ui.Page.ContentAsync(), StringComparison.Ordinal);
        await ui.ScreenshotAsync("keys");

        await ui.GoAsync("#/access"); // typed by hand: not served to a non-admin
        await Expect(ui.Locator("#tree")).ToBeVisibleAsync();
        await Expect(ui.Locator("#token-table")).ToHaveCountAsync(0);
        await ui.Page.ClickAsync("#nav a[data-page=cluster]");
        await Expect(ui.Locator("#member-table tbody tr")).ToHaveCountAsync(3);
        await Expect(ui.Locator("#cluster-admin")).ToBeEmptyAsync();
        await Expect(ui.Locator("button.transfer, button.remove")).ToHaveCountAsync(0);
        await ui.ScreenshotAsync("cluster");
        ui.AssertNoErrors();
    }

    [Fact]
    public async Task Policies_EditWithValidation_AndViewAStoredPolicy()
    {
        await using var ui = await fixture.OpenAsync(0);
        await ui.Page.ClickAsync("#nav a[data-page=access]");
        await ui.Locator("#tab-policies").ClickAsync();
        await ui.Locator("#policy-name").FillAsync("console-made");
        await ui.Locator("#policy-rules").FillAsync("[{\"path\": \"svc.*\", \"capabilities\": [\"read\", \"fly\"]}]");
        await ui.Locator("#policy-save").ClickAsync();
        await Expect(ui.Locator("#policy-problems")).ToContainTextAsync("unknown capability \"fly\"");
        Assert.Equal(HttpStatusCode.NotFound, (await Admin.GetJsonAsync("/acl/policies/console-made")).Status);

        await ui.Locator("#policy-rules").FillAsync("[{\"path\": \"svc.*\", \"capabilities\": [\"read\", \"list\"]}]");
        await ui.Locator("#policy-save").ClickAsync();
        await Eventually.WaitAsync(async () => (await Admin.GetJsonAsync("/acl/policies/console-made")).Status == HttpStatusCode.OK, TimeSpan.FromSeconds(10), "the policy to be stored");

        await ui.Locator("#policy-rules").FillAsync("");
        await ui.Locator("#policy-load").ClickAsync();
        await Expect(ui.Locator("#policy-rules")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("\"svc\\.\\*\""));
        await ui.ScreenshotAsync();
        ui.AssertNoErrors();
    }

    [Fact]
    public async Task Audit_FiltersAndVerifiesTheChain()
    {
        await using var ui = await fixture.OpenAsync(2);
        await ui.Page.ClickAsync("#nav a[data-page=access]");
        await ui.Locator("#tab-audit").ClickAsync();
        await Expect(ui.Locator("#audit-table tbody tr").First).ToBeVisibleAsync();
        await ui.Locator("#audit-decision").SelectOptionAsync("allow");
        await ui.Locator("#audit-filter").FillAsync("capabilities.self");
        await Expect(ui.Locator("#audit-table tbody tr").First).ToContainTextAsync("capabilities.self");
        await ui.Locator("#audit-verify-button").ClickAsync();
        await Expect(ui.Locator("#audit-verify")).ToContainTextAsync("Chain verified");
        await ui.ScreenshotAsync();
        ui.AssertNoErrors();
    }

    [Fact]
    public async Task PhoneWidth_KeysPageFitsWithoutSideways()
    {
        await Admin.MustPutAsync("phone.a.long.key.name.for.wrapping", "x");
        await using var ui = await fixture.OpenAsync(1, width: 390, height: 844);
        await ui.OpenKeysAsync();
        await ui.OpenKeyAsync("phone.a.long.key.name.for.wrapping");
        var overflow = await ui.Page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
        Assert.True(overflow <= 0, $"the page is {overflow}px wider than a phone screen");
        await ui.ScreenshotAsync();
        ui.AssertNoErrors();
    }
}
