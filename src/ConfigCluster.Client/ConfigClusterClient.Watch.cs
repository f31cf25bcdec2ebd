using ConfigCluster.Contracts.V1;
using Grpc.Core;

namespace ConfigCluster.Client;

/// <summary>One change seen by a watch.</summary>
public sealed record ConfigChange(string Key, string Environment, string? ValueJson, long Version, long Revision, Operation Operation, bool Secret, string Author);

public sealed partial class ConfigClusterClient
{
    /// <summary>
    /// Calls <paramref name="onChange"/> for every change of <paramref name="keyOrPrefix"/> (a
    /// prefix when it ends with '.' or is empty), in revision order, exactly once each, until
    /// <paramref name="token"/> is cancelled. When the node serving the watch dies the watch
    /// resumes on another node from the last revision it delivered.
    /// </summary>
    /// <param name="startRevision">Deliver changes after this revision (null = from now on).</param>
    public async Task WatchAsync(string keyOrPrefix, Func<ConfigChange, Task> onChange, long? startRevision = null, string? environment = null, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(onChange);
        var tracker = new WatchProgress(startRevision);
        var backoff = options.RetryBackoff;
        while (!token.IsCancellationRequested)
        {
            var request = new WatchRequest { Namespace = options.Namespace, Environment = environment ?? options.Environment, ProgressIntervalMs = 1000 };
            if (keyOrPrefix.Length == 0 || keyOrPrefix.EndsWith('.'))
                request.Prefix = keyOrPrefix;
            else
                request.Key = keyOrPrefix;
            if (tracker.ResumeFrom is { } from)
                request.StartRevision = from;
            try
            {
                using var call = Watches.Watch(request, cancellationToken: token);
                await foreach (var response in call.ResponseStream.ReadAllAsync(token).ConfigureAwait(false))
                {
                    foreach (var change in response.Events)
                    {
                        if (tracker.Accept(change.Revision))
                        {
                            await onChange(new ConfigChange(change.Path.Key, change.Path.Environment, change.ValueJson.Length == 0 ? null : change.ValueJson,
                                change.Version, change.Revision, change.Operation, change.Secret, change.Author)).ConfigureAwait(false);
                        }
                    }

                    tracker.Observe(response.Revision);
                    backoff = options.RetryBackoff;
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && token.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.OutOfRange or StatusCode.InvalidArgument or StatusCode.PermissionDenied or StatusCode.Unauthenticated)
            {
                throw Translate(e);
            }
            catch (RpcException)
            {
                // The node died or ended the stream: resume elsewhere from the last revision.
            }

            await Task.Delay(backoff, token).ConfigureAwait(false);
            backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 1000));
        }
    }
}

/// <summary>
/// Watch bookkeeping: the highest revision delivered or confirmed by a progress message.
/// A resumed stream starts after it, and anything at or below it is a duplicate.
/// </summary>
public sealed class WatchProgress(long? startRevision)
{
    private long? last = startRevision;

    /// <summary>The revision to resume after, or null to start from "now".</summary>
    public long? ResumeFrom => last;

    /// <summary>
    /// True when an event at <paramref name="revision"/> is new (and records it). A change-set
    /// makes several events at one revision, so only older revisions are duplicates; a resumed
    /// stream starts strictly after <see cref="ResumeFrom"/>.
    /// </summary>
    public bool Accept(long revision)
    {
        if (last is { } seen && revision < seen)
            return false;
        last = revision;
        return true;
    }

    /// <summary>Records a progress revision: every change up to it has been delivered.</summary>
    public void Observe(long revision)
    {
        if (last is null || revision > last)
            last = revision;
    }
}
