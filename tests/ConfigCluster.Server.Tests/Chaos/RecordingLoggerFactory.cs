using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ConfigCluster.Server.Tests.Chaos;

/// <summary>Keeps the last log lines of an SDK client (its watch resumes), to explain a watcher's failure.</summary>
internal sealed class RecordingLoggerFactory : ILoggerFactory, ILogger
{
    private const int Kept = 200;
    private readonly ConcurrentQueue<string> lines = new();

    public IReadOnlyCollection<string> Lines => lines;

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lines.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {formatter(state, exception)}");
        while (lines.Count > Kept && lines.TryDequeue(out _))
        {
        }
    }

    public void Dispose()
    {
    }
}
