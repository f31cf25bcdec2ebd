namespace ConfigCluster.Server.Tests.Harness;

/// <summary>Waits for a condition with a deadline (no sleep-and-hope).</summary>
internal static class Eventually
{
    public static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        var delay = TimeSpan.FromMilliseconds(20);
        Exception? last = null;
        while (true)
        {
            try
            {
                if (await condition())
                    return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or Grpc.Core.RpcException or InvalidOperationException or System.Text.Json.JsonException)
            {
                last = e;
            }

            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"timed out after {timeout.TotalSeconds:0.#} s waiting for {what}" + (last is null ? "" : $" (last error: {last.Message})"));
            await Task.Delay(delay);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 200));
        }
    }

    public static Task WaitAsync(Func<bool> condition, TimeSpan timeout, string what)
        => WaitAsync(() => Task.FromResult(condition()), timeout, what);
}
