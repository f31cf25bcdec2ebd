using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConfigCluster.Client.Tests;

/// <summary>How the SDK's retry loop treats each kind of failed attempt (no network: scripted attempts).</summary>
public sealed class CallRetrierTests
{
    private static CallRetrier Retrier() => new(
        new ConfigClusterClientOptions { OperationTimeout = TimeSpan.FromSeconds(10), RetryBackoff = TimeSpan.FromMilliseconds(1), MaxRetryBackoff = TimeSpan.FromMilliseconds(2) },
        NullLogger.Instance);

    // Runs attempts that throw the scripted exceptions in turn, then succeed.
    private static Func<DateTime, Task<int>> Script(List<Exception> failures, List<DateTime>? deadlines = null)
        => deadline =>
        {
            deadlines?.Add(deadline);
            if (failures.Count == 0)
                return Task.FromResult(42);
            var next = failures[0];
            failures.RemoveAt(0);
            return Task.FromException<int>(next);
        };

    [Fact]
    public async Task AttemptCancelledByItsOwnDeadline_IsRetried_LikeDeadlineExceeded()
    {
        var failures = new List<Exception> { new TaskCanceledException("the HTTP request was cancelled"), new RpcException(new Status(StatusCode.Unavailable, "down")) };
        var deadlines = new List<DateTime>();

        var result = await Retrier().RunAsync("Get", Script(failures, deadlines), CallKind.Read, requestId: null, CancellationToken.None);

        Assert.Equal(42, result);
        Assert.Equal(3, deadlines.Count);
    }

    [Fact]
    public async Task WriteCancelledByItsDeadline_IsNotResent_WhenNotIdempotent()
    {
        var failures = new List<Exception> { new TaskCanceledException("the HTTP request was cancelled") };

        var error = await Assert.ThrowsAsync<ConfigAmbiguousWriteException>(
            () => Retrier().RunAsync("CreateToken", Script(failures), CallKind.OnceWrite, requestId: null, CancellationToken.None));

        Assert.Contains("not re-sent", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CallersOwnCancellation_Propagates_AndIsNotRetried()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var attempts = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Retrier().RunAsync("Get", _ =>
        {
            attempts++;
            return Task.FromResult(1);
        }, CallKind.Read, requestId: null, cancelled.Token));

        Assert.Equal(0, attempts);
    }

    [Fact]
    public async Task FatalStatus_IsTranslated_WithoutRetry()
    {
        var failures = new List<Exception> { new RpcException(new Status(StatusCode.NotFound, "key 'x' not found")), new RpcException(new Status(StatusCode.Unavailable, "never reached")) };

        var error = await Assert.ThrowsAsync<ConfigNotFoundException>(() => Retrier().RunAsync("Get", Script(failures), CallKind.Read, requestId: null, CancellationToken.None));

        Assert.Contains("not found", error.Message, StringComparison.Ordinal);
        Assert.Single(failures);
    }
}
