using ConfigCluster.Consensus;

namespace ConfigCluster.Server.Application.Tests;

/// <summary>
/// Shared read barrier rounds: a read is answered only by a round that began after it arrived,
/// and the reads that arrive during one round share the next.
/// </summary>
public sealed class ReadBarrierRoundsTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ReadArrivingDuringARound_WaitsForTheNextRound_NotTheOneInFlight()
    {
        var fake = new ControlledRounds();
        var rounds = new ReadBarrierRounds(fake.RoundAsync);

        var first = rounds.JoinAsync();
        Assert.Equal(1, fake.Begun);
        var second = rounds.JoinAsync(); // arrives while the first round is in flight

        fake.Finish(0, ReadBarrierOutcome.Current);
        Assert.Equal(ReadBarrierOutcome.Current, await first.WaitAsync(Bound));
        // The first round may have taken the commit index before the second read arrived: the
        // second read is not answered by it, but by a round begun after it.
        await fake.WaitBegunAsync(2);
        Assert.False(second.IsCompleted);

        fake.Finish(1, ReadBarrierOutcome.Current);
        Assert.Equal(ReadBarrierOutcome.Current, await second.WaitAsync(Bound));
        Assert.Equal(2, rounds.RoundsStarted);
    }

    [Fact]
    public async Task ReadsArrivingDuringOneRound_ShareOneNextRound()
    {
        var fake = new ControlledRounds();
        var rounds = new ReadBarrierRounds(fake.RoundAsync);
        var first = rounds.JoinAsync();
        var waiting = Enumerable.Range(0, 20).Select(_ => rounds.JoinAsync()).ToArray();
        Assert.Equal(1, fake.Begun);

        fake.Finish(0, ReadBarrierOutcome.Current);
        await fake.WaitBegunAsync(2);
        fake.Finish(1, ReadBarrierOutcome.Current);

        Assert.Equal(ReadBarrierOutcome.Current, await first.WaitAsync(Bound));
        foreach (var read in waiting)
            Assert.Equal(ReadBarrierOutcome.Current, await read.WaitAsync(Bound));
        Assert.Equal(2, rounds.RoundsStarted);

        // With nothing in flight, the next read starts a round of its own at once.
        var later = rounds.JoinAsync();
        Assert.Equal(3, fake.Begun);
        fake.Finish(2, ReadBarrierOutcome.Current);
        Assert.Equal(ReadBarrierOutcome.Current, await later.WaitAsync(Bound));
    }

    [Fact]
    public async Task FailedRound_AnswersItsOwnReadsOnly_AndTheNextRoundStillRuns()
    {
        var fake = new ControlledRounds();
        var rounds = new ReadBarrierRounds(fake.RoundAsync);
        var first = rounds.JoinAsync();
        var second = rounds.JoinAsync();

        fake.Finish(0, ReadBarrierOutcome.Unavailable);
        Assert.Equal(ReadBarrierOutcome.Unavailable, await first.WaitAsync(Bound));
        await fake.WaitBegunAsync(2);
        fake.Fail(1, new InvalidOperationException("round broke"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => second.WaitAsync(Bound));

        // A round that threw does not leave the rounds stuck "in flight".
        var third = rounds.JoinAsync();
        Assert.Equal(3, fake.Begun);
        fake.Finish(2, ReadBarrierOutcome.Current);
        Assert.Equal(ReadBarrierOutcome.Current, await third.WaitAsync(Bound));
    }

    [Fact]
    public async Task ManyConcurrentReaders_AreEachAnsweredByARoundBegunAfterTheyArrived_AndShareRounds()
    {
        // Each round notes the last arrival it could have seen when it began, and publishes it when it
        // ends, before its reads are answered; a read must then find a published value at least its own.
        var watermark = new SeenWatermark();
        var rounds = new ReadBarrierRounds(async () =>
        {
            var seen = watermark.Arrived;
            await Task.Yield();
            watermark.Served(seen);
            return ReadBarrierOutcome.Current;
        });
        var violations = 0;
        var readers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 200; i++)
            {
                var mine = watermark.Arrive();
                Assert.Equal(ReadBarrierOutcome.Current, await rounds.JoinAsync().WaitAsync(Bound));
                if (!watermark.LastServedAtLeast(mine))
                    Interlocked.Increment(ref violations);
            }
        })).ToArray();
        await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(0, violations);
        Assert.True(rounds.RoundsStarted < 1600, $"{rounds.RoundsStarted} rounds for 1600 reads: none were shared");
    }

    // Arrival numbers and the highest arrival a finished round had seen when it began.
    private sealed class SeenWatermark
    {
        private long arrived;
        private long served = -1;

        public long Arrived => Interlocked.Read(ref arrived);

        public long Arrive() => Interlocked.Increment(ref arrived);

        public void Served(long seen)
        {
            long current;
            while ((current = Interlocked.Read(ref served)) < seen && Interlocked.CompareExchange(ref served, seen, current) != current)
            {
            }
        }

        public bool LastServedAtLeast(long arrival) => Interlocked.Read(ref served) >= arrival;
    }

    // Rounds that end only when the test says so.
    private sealed class ControlledRounds
    {
        private readonly List<TaskCompletionSource<ReadBarrierOutcome>> begun = [];
        private readonly SemaphoreSlim beginning = new(0);

        public int Begun
        {
            get
            {
                lock (begun)
                    return begun.Count;
            }
        }

        public ValueTask<ReadBarrierOutcome> RoundAsync()
        {
            var round = new TaskCompletionSource<ReadBarrierOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (begun)
                begun.Add(round);
            beginning.Release();
            return new ValueTask<ReadBarrierOutcome>(round.Task);
        }

        public async Task WaitBegunAsync(int count)
        {
            using var deadline = new CancellationTokenSource(Bound);
            while (Begun < count)
                await beginning.WaitAsync(deadline.Token);
        }

        public void Finish(int round, ReadBarrierOutcome outcome)
        {
            lock (begun)
                begun[round].SetResult(outcome);
        }

        public void Fail(int round, Exception failure)
        {
            lock (begun)
                begun[round].SetException(failure);
        }
    }
}
