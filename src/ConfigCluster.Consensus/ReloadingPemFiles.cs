using System.Globalization;
using System.Text;

namespace ConfigCluster.Consensus;

/// <summary>
/// A value loaded from files (a PEM certificate and its key, a CA bundle) that follows the files
/// on disk, so a renewed certificate is used without a restart. <see cref="Current"/> looks at the
/// files at most once per <see cref="CheckInterval"/>: their final targets (symbolic links resolved,
/// as a Kubernetes secret volume swaps them), modification times and lengths. When one changed it
/// loads the value again. A load that fails (a pair caught half-written, a key that does not match
/// the certificate) keeps the previous value and is tried again when the files change once more.
/// </summary>
/// <remarks>
/// The check runs on the caller's thread (a TLS handshake): a few <c>stat</c> calls, and reading
/// small files only when they changed. One caller checks at a time; the others take the value held.
/// </remarks>
/// <typeparam name="T">What the files hold once loaded.</typeparam>
public sealed class ReloadingPemFiles<T>
    where T : class
{
    private readonly string[] files;
    private readonly Func<T> load;
    private readonly TimeProvider time;
    private readonly long checkTicks;
    private T current;
    private string loadedStamp;
    private string? failedStamp;
    private long nextCheck;
    private int checking;

    /// <summary>Loads the value once; a failure here is the caller's (start-up refuses to run).</summary>
    /// <param name="files">The files the value is read from.</param>
    /// <param name="load">Reads the files; throws when they cannot be used.</param>
    /// <param name="time">The clock that paces the checks.</param>
    /// <param name="checkInterval">How often the files are looked at; default one second.</param>
    public ReloadingPemFiles(IReadOnlyList<string> files, Func<T> load, TimeProvider time, TimeSpan? checkInterval = null)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(load);
        ArgumentNullException.ThrowIfNull(time);
        this.files = [.. files];
        this.load = load;
        this.time = time;
        CheckInterval = checkInterval ?? TimeSpan.FromSeconds(1);
        checkTicks = (long)(CheckInterval.TotalSeconds * time.TimestampFrequency);
        loadedStamp = Stamp();
        current = load();
        nextCheck = time.GetTimestamp() + checkTicks;
    }

    /// <summary>How often <see cref="Current"/> looks at the files.</summary>
    public TimeSpan CheckInterval { get; }

    /// <summary>The files the value is read from.</summary>
    public IReadOnlyList<string> Files => files;

    /// <summary>Raised (on the checking thread) with the new value after the files changed and loaded.</summary>
    public event Action<T>? Reloaded;

    /// <summary>Raised (on the checking thread) when changed files could not be loaded; the previous value stays.</summary>
    public event Action<Exception>? ReloadFailed;

    /// <summary>The newest value that loaded from the files.</summary>
    public T Current
    {
        get
        {
            var now = time.GetTimestamp();
            if (now >= Volatile.Read(ref nextCheck) && Interlocked.CompareExchange(ref checking, 1, 0) == 0)
            {
                try
                {
                    Refresh();
                    Volatile.Write(ref nextCheck, now + checkTicks);
                }
                finally
                {
                    Volatile.Write(ref checking, 0);
                }
            }

            return Volatile.Read(ref current);
        }
    }

    private void Refresh()
    {
        var stamp = Stamp();
        if (stamp == loadedStamp || stamp == failedStamp)
            return;
        T loaded;
        try
        {
            loaded = load();
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            failedStamp = stamp;
            ReloadFailed?.Invoke(e);
            return;
        }

        loadedStamp = stamp;
        failedStamp = null;
        // The previous value is not disposed: a handshake in flight may still be using it.
        Volatile.Write(ref current, loaded);
        Reloaded?.Invoke(loaded);
    }

    private string Stamp()
    {
        var text = new StringBuilder();
        foreach (var file in files)
        {
            try
            {
                var info = new FileInfo(file);
                var target = info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info;
                target.Refresh();
                text.Append(target.FullName).Append('|');
                text.Append(target.Exists ? target.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture) + "|" + target.Length.ToString(CultureInfo.InvariantCulture) : "missing");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                text.Append(file).Append("|unreadable");
            }

            text.Append('\n');
        }

        return text.ToString();
    }
}
