using System.Net;
using ConfigCluster.Server.Tests.Harness;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ConfigCluster.Console.Tests;

/// <summary>The keys page in a real browser: serving, sign-in, browse, edit with CAS, history, rollback, secrets, live.</summary>
public sealed class KeysConsoleTests(ConsoleCluster fixture) : IClassFixture<ConsoleCluster>
{
    private HttpClient Admin => fixture.Cluster[0].Http;

    [Fact]
    public async Task Ui_OnEveryNode_ServesEmbeddedFilesWithStrictCspAndNoStore()
    {
        foreach (var node in fixture.Cluster.Nodes)
        {
            using var page = await node.Anonymous.GetAsync("/ui/");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal("text/html; charset=utf-8", page.Content.Headers.ContentType?.ToString());
            var csp = string.Join(' ', page.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
            Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
            Assert.DoesNotContain("unsafe", csp, StringComparison.Ordinal);
            Assert.Equal("no-store", page.Headers.CacheControl?.ToString());
            Assert.Contains("<script type=\"module\" src=\"/ui/js/app.js\">", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            using var script = await node.Anonymous.GetAsync("/ui/js/app.js");
            Assert.Equal(HttpStatusCode.OK, script.StatusCode);
            Assert.StartsWith("text/javascript", script.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
            using var missing = await node.Anonymous.GetAsync("/ui/js/nothing-here.js");
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            using var bare = await node.Anonymous.GetAsync("/ui");
            Assert.Equal(HttpStatusCode.OK, bare.StatusCode);
        }

        // The sign-in page renders on a follower with no error (CSP violations are console errors).
        var context = await fixture.Browser.NewContextAsync();
        var signIn = await context.NewPageAsync();
        var errors = new List<string>();
        signIn.Console += (_, m) => { if (m.Type == "error") errors.Add(m.Text); };
        signIn.PageError += (_, e) => errors.Add(e);
        await signIn.GotoAsync($"{fixture.Cluster[await fixture.Cluster.FollowerAsync()].HttpUrl}/ui/");
        await Expect(signIn.Locator("#token")).ToBeFocusedAsync();
        await signIn.ScreenshotAsync(new() { Path = Path.Combine(ConsolePage.ScreenshotDirectory, "Ui_SignInPage.png") });
        await context.CloseAsync();
        Assert.Empty(errors);
    }

    [Fact]
    public async Task SignIn_BadTokenRefused_ThenBrowseTreeSearchAndInheritedSource()
    {
        await Admin.MustPutAsync("browse.name", "svc");
        await Admin.MustPutAsync("browse.db.host", "db1");
        await Admin.MustPutAsync("browse.db.port", 5432);
        await Admin.MustPutAsync("browse.db.host", "db-staging", "?env=staging");

        var context = await fixture.Browser.NewContextAsync();
        var raw = await context.NewPageAsync();
        await raw.GotoAsync($"{fixture.Cluster[1].HttpUrl}/ui/");
        await raw.FillAsync("#token", "cc_not_a_token_anyone_knows_0000000000");
        await raw.PressAsync("#token", "Enter");
        await Expect(raw.Locator(".signin .error")).ToContainTextAsync("refused");
        Assert.DoesNotContain("cc_not_a_token", await raw.EvaluateAsync<string>("() => JSON.stringify(Object.entries(sessionStorage))"), StringComparison.Ordinal);
        await context.CloseAsync();

        await using var ui = await fixture.OpenAsync(1);
        await ui.OpenKeysAsync("default", "staging");
        await Expect(ui.Locator(".leaf[data-key=\"browse.db.port\"] .badge.inherited")).ToHaveTextAsync("default");
        await Expect(ui.Locator(".leaf[data-key=\"browse.db.host\"] .badge.inherited")).ToHaveCountAsync(0);
        await Expect(ui.Locator("#chain")).ToContainTextAsync("staging → default");

        // Keyboard: focus the leaf and press Enter.
        await ui.Locator(".leaf[data-key=\"browse.db.port\"]").FocusAsync();
        await ui.Page.Keyboard.PressAsync("Enter");
        await Expect(ui.Locator("#key-name")).ToHaveTextAsync("browse.db.port");
        await Expect(ui.Locator("#key-source")).ToHaveTextAsync("inherited from default");
        await Expect(ui.Locator("#value")).ToHaveTextAsync("5432");

        await ui.OpenKeyAsync("browse.db.host");
        await Expect(ui.Locator("#key-source")).ToHaveTextAsync("staging (set here)");
        await Expect(ui.Locator("#value")).ToHaveTextAsync("\"db-staging\"");

        await ui.Locator("#search").FillAsync("db.");
        await Expect(ui.Locator("#tree .leaf")).ToHaveCountAsync(2);
        await Expect(ui.Locator(".leaf[data-key=\"browse.name\"]")).ToHaveCountAsync(0);
        await ui.ScreenshotAsync();
        ui.AssertNoErrors();
    }

    [Fact]
    public async Task Edit_WhenTheKeyChangedMeanwhile_ShowsTheConflictAndNewerVersion()
    {
        await Admin.MustPutAsync("cas.limit", 10);
        await using var ui = await fixture.OpenAsync(2);
        await ui.OpenKeysAsync();
        await ui.OpenKeyAsync("cas.limit");
        ui.ExpectStatuses(409);
        await ui.Locator("#edit").ClickAsync();
        await ui.Locator("#editor").FillAsync("20");

        await Admin.MustPutAsync("cas.limit", 15); // someone else, meanwhile
        await ui.Locator("#save").ClickAsync();
        await Expect(ui.Locator("#conflict")).ToContainTextAsync("version 2");
        await Expect(ui.Locator("#conflict-value")).ToHaveTextAsync("15");
        await Expect(ui.Locator("#editor")).ToHaveValueAsync("20");
        await ui.ScreenshotAsync();

        await ui.Locator("#save").ClickAsync(); // over the newer version, knowingly
        await Expect(ui.Locator("#key-version")).ToHaveTextAsync("3");
        var (_, body) = await Admin.GetJsonAsync("/config/cas.limit");
        Assert.Equal(20, body!["value"]!.GetValue<int>());

        // The save's own change also arrives over the live feed and re-renders the key view, which
        // can swallow a click on Edit made meanwhile (CI sim 2026-12-07 15:00: no editor in 15 s):
        // click until the editor is open.
        for (var attempt = 1; ; attempt++)
        {
            await ui.Locator("#edit").ClickAsync();
            try
            {
                await Expect(ui.Locator("#editor")).ToBeVisibleAsync(new() { Timeout = 3_000 });
                break;
            }
            catch (PlaywrightException) when (attempt < 5)
            {
            }
        }

        await ui.Locator("#editor").FillAsync("not json");
        await ui.Locator("#save").ClickAsync();
        await Expect(ui.Locator("#editor-error")).ToContainTextAsync("Not valid JSON");
        ui.AssertNoErrors();
    }

    // A live change reloads the open key; a click on Edit while that reload is in flight must keep
    // the editor (CI 2026-12-07: the reload rendered over it and the typed text was lost). The
    // reload's history request is held by the browser until the editor is open and filled.
    [Fact]
    public async Task Edit_OpenedWhileALiveChangeReloadsTheKey_KeepsTheEditorAndItsText()
    {
        await Admin.MustPutAsync("race.limit", 1);
        await using var ui = await fixture.OpenAsync(2);
        await ui.OpenKeysAsync();
        await ui.OpenKeyAsync("race.limit");
        await Expect(ui.Locator("#live")).ToHaveTextAsync("Live");
        await Expect(ui.Locator("#key-version")).ToHaveTextAsync("1");

        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var history = new System.Text.RegularExpressions.Regex(@"/config/history/race\.limit\?");
        await ui.Page.RouteAsync(history, async route =>
        {
            held.TrySetResult();
            await release.Task;
            await route.ContinueAsync();
        });

        await Admin.MustPutAsync("race.limit", 2); // someone else: the live feed reloads the open key
        await held.Task.WaitAsync(TimeSpan.FromSeconds(15));
        await ui.Locator("#edit").ClickAsync();
        await ui.Locator("#editor").FillAsync("42");
        await Expect(ui.Locator("#editor-notice")).ToContainTextAsync("now version 2");

        var reloaded = ui.Page.WaitForResponseAsync(history);
        release.SetResult();
        await (await reloaded).FinishedAsync();
        await ui.Page.EvaluateAsync("() => new Promise(resolve => setTimeout(resolve, 50))"); // the page handles the answer

        await Expect(ui.Locator("#editor")).ToHaveValueAsync("42");
        await ui.Page.UnrouteAsync(history);
        ui.ExpectStatuses(409);
        await ui.Locator("#save").ClickAsync(); // the edit began at version 1: a conflict, text kept
        await Expect(ui.Locator("#conflict")).ToContainTextAsync("version 2");
        await Expect(ui.Locator("#editor")).ToHaveValueAsync("42");
        ui.AssertNoErrors();
    }

    [Fact]
    public async Task History_DiffBetweenTwoVersions_AndRollbackWithConfirmation()
    {
        foreach (var value in new[] { "{\"enabled\": false, \"ratio\": 1}", "{\"enabled\": true, \"ratio\": 1}", "{\"enabled\": true, \"ratio\": 5}" })
            Assert.Equal(HttpStatusCode.OK, (await Admin.PutJsonAsync("/config/hist.feature", $"{{\"value\": {value}}}")).Status);
        await using var ui = await fixture.OpenAsync(0);
        await ui.OpenKeysAsync();
        await ui.OpenKeyAsync("hist.feature");
        await ui.Locator("#tab-history").ClickAsync();
        await Expect(ui.Locator("#history tbody tr")).ToHaveCountAsync(3);
        await Expect(ui.Locator("#history tbody tr").First).ToContainTextAsync("v3");

        await ui.Locator("#diff-from").SelectOptionAsync("1");
        await ui.Locator("#diff-to").SelectOptionAsync("3");
        await Expect(ui.Locator("#diff-out .del")).ToHaveTextAsync(["-   \"enabled\": false,\n", "-   \"ratio\": 1\n"]);
        await Expect(ui.Locator("#diff-out .add")).ToHaveTextAsync(["+   \"enabled\": true,\n", "+   \"ratio\": 5\n"]);
        await ui.ScreenshotAsync("diff");

        await ui.Locator("button.rollback[data-version=\"1\"]").ClickAsync();
        await Expect(ui.Locator("#confirm")).ToBeVisibleAsync();
        await ui.Locator("#confirm-cancel").ClickAsync(); // cancelling changes nothing
        Assert.Equal(3, (await Admin.GetJsonAsync("/config/hist.feature")).Body!["version"]!.GetValue<int>());

        await ui.Locator("button.rollback[data-version=\"1\"]").ClickAsync();
        await ui.Locator("#confirm-ok").ClickAsync();
        await Expect(ui.Locator("#key-version")).ToHaveTextAsync("4");
        var (_, body) = await Admin.GetJsonAsync("/config/hist.feature");
        Assert.False(body!["value"]!["enabled"]!.GetValue<bool>());
        Assert.Equal("rollback", body["operation"]!.GetValue<string>());
        await ui.ScreenshotAsync("rolled-back");
        ui.AssertNoErrors();
    }

    [Fact]
    public async Task Secret_IsMaskedWithFingerprint_UntilRevealed_RevealIsAudited_NothingStored()
    {
        const string plaintext = "s3cr3t-console-value-5b1f";
        var (status, _) = await Admin.PutJsonAsync("/config/vault.db.password", $"{{\"value\": \"{plaintext}\", \"secret\": true}}");
        Assert.Equal(HttpStatusCode.OK, status);
        await using var ui = await fixture.OpenAsync(1);
        await ui.OpenKeysAsync();
        await ui.OpenKeyAsync("vault.db.password");
        await Expect(ui.Locator("#fingerprint")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^[0-9a-f]{16,}$"));
        Assert.DoesNotContain(plaintext, await ui.Page.ContentAsync(), StringComparison.Ordinal);
        await ui.ScreenshotAsync("masked");

        await ui.Locator("#reveal").ClickAsync();
        await Expect(ui.Locator("#revealed")).ToHaveTextAsync($"\"{plaintext}\"");
        Assert.DoesNotContain(plaintext, await ui.StorageAsync(), StringComparison.Ordinal);
        await ui.ScreenshotAsync("revealed");
        await ui.Locator("#hide").ClickAsync();
        Assert.DoesNotContain(plaintext, await ui.Page.ContentAsync(), StringComparison.Ordinal);

        // The reveal is an audited read on the node that served it.
        await ui.Page.ClickAsync("#nav a[data-page=access]");
        await ui.Locator("#tab-audit").ClickAsync();
        await ui.Locator("#audit-filter").FillAsync("vault.db.password");
        await Expect(ui.Locator("#audit-table tbody tr[data-key=\"vault.db.password\"][data-operation=\"read\"]").First).ToContainTextAsync("allow");
        await ui.ScreenshotAsync("audit");
        Assert.DoesNotContain(plaintext, await ui.Page.ContentAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(plaintext, await ui.StorageAsync(), StringComparison.Ordinal);
        ui.AssertNoErrors();
    }

    // The keys page never polls: a change shows only through the live feed, so the wait below
    // proves the feed without asserting a time (10 s leaves room for a loaded CI machine).
    [Fact]
    public async Task Live_AChangeThroughTheApiOnAnotherNode_AppearsWithoutAReload()
    {
        await Admin.MustPutAsync("live.color", "blue");
        await using var ui = await fixture.OpenAsync(1);
        await ui.OpenKeysAsync();
        await ui.OpenKeyAsync("live.color");
        await Expect(ui.Locator("#live")).ToHaveTextAsync("Live");

        await fixture.Cluster[2].Http.MustPutAsync("live.color", "green");
        await Expect(ui.Locator("#value")).ToHaveTextAsync("\"green\"", new() { Timeout = 10_000 });
        await fixture.Cluster[2].Http.MustPutAsync("live.added", true);
        await Expect(ui.Locator(".leaf[data-key=\"live.added\"]")).ToBeVisibleAsync(new() { Timeout = 10_000 });
        await ui.ScreenshotAsync();
        ui.AssertNoErrors();
    }
}
