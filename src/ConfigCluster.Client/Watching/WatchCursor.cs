namespace ConfigCluster.Client.Watching;

/// <summary>
/// Where a watch stands, so that a stream resumed on another node delivers every change once, in
/// order. Revisions only grow within a stream, but a change-set puts several changes at one
/// revision (one message each), so a stream may break halfway through a revision. The cursor
/// therefore remembers which keys it delivered at its newest revision: a resumed stream restarts
/// just before that revision, and those keys are dropped as duplicates.
/// </summary>
internal sealed class WatchCursor(long startRevision)
{
    private readonly HashSet<string> keysAtLast = new(StringComparer.Ordinal);
    private long last = startRevision;

    /// <summary>Every matching change up to this revision was delivered (or, when <see cref="Partial"/>, some of it).</summary>
    public long LastRevision => last;

    /// <summary>Whether changes at <see cref="LastRevision"/> may still be missing.</summary>
    public bool Partial => keysAtLast.Count > 0;

    /// <summary>The <c>start_revision</c> for a resumed stream: changes strictly after it are replayed.</summary>
    public long ResumeAfter => Partial ? last - 1 : last;

    /// <summary>True when a change is new (and records it); false for a duplicate of one already delivered.</summary>
    public bool Accept(long revision, string environment, string key)
    {
        if (revision < last)
            return false;
        var identity = $"{environment}/{key}";
        if (revision == last)
        {
            // Complete (confirmed by progress), or this key was already delivered at it.
            return Partial && keysAtLast.Add(identity);
        }

        last = revision;
        keysAtLast.Clear();
        keysAtLast.Add(identity);
        return true;
    }

    /// <summary>Records that every matching change up to <paramref name="revision"/> was delivered.</summary>
    public void Complete(long revision)
    {
        if (revision < last)
            return;
        last = revision;
        keysAtLast.Clear();
    }
}
