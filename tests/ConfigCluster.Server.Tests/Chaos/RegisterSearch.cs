namespace ConfigCluster.Server.Tests.Chaos;

/// <summary>
/// The Wing–Gong search (as Knossos and Porcupine do it) for one key's history, iterative and
/// memoized over (linearized set, register state), sized for 100k+ operations.
/// <para>
/// Operations are sorted by call time. One may take effect next when its call precedes every
/// pending return; ambiguous operations have no return, may take effect at any later point, or
/// never. The linearized set is kept small: everything before <c>prefix</c> is settled (linearized,
/// or an ambiguous operation still pending, kept in <c>deferred</c>), and beyond it only the few
/// operations linearized ahead of their turn are listed. The depth-first search keeps its frames
/// on an explicit stack, tries acknowledged operations before ambiguous ones, and never revisits a
/// configuration (prefix, ahead, deferred, version, value) it has already explored.
/// </para>
/// </summary>
internal sealed class RegisterSearch
{
    /// <summary>Configurations explored before giving up (a verdict of "not shown linearizable").</summary>
    public const int MaxConfigurations = 20_000_000;

    private const int Unseen = -1;

    private readonly Operation[] ops;
    private readonly long[] returns;
    private readonly int[] values;
    private readonly bool[] ambiguous;

    /// <summary>Ambiguous plain writes whose value nobody read: interchangeable version bumps.</summary>
    private readonly bool[] bump;

    private readonly bool[] done;
    private readonly int required;

    public RegisterSearch(IReadOnlyList<Operation> history)
    {
        // A failed read tells nothing; a write the client was told failed never took effect. A
        // refused compare-and-set stays: it observed a version other than the one it expected.
        ops = [.. history.Where(static o => o.Outcome != Outcome.Failed || o.Mismatch)
            .Where(static o => !(o.Kind == OpKind.Read && o.IsAmbiguous))
            .OrderBy(static o => o.Invoked).ThenBy(static o => o.Completed)];

        // A value no read returned is only a version bump: all such values share one id, so
        // states that differ only in an unseen value are one configuration.
        var read = ops.Where(static o => o.Kind == OpKind.Read && o.ReadValue is not null).Select(static o => o.ReadValue!).ToHashSet(StringComparer.Ordinal);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        int Id(string? value) => value is null ? 0 : !read.Contains(value) ? Unseen : ids.TryGetValue(value, out var id) ? id : ids[value] = ids.Count + 1;
        values = [.. ops.Select(o => Id(o.Kind == OpKind.Read ? o.ReadValue : o.Value))];
        ambiguous = [.. ops.Select(static o => o.IsAmbiguous)];
        bump = [.. ops.Select((o, i) => o.IsAmbiguous && o.Kind == OpKind.Write && values[i] == Unseen)];
        returns = [.. ops.Select(static o => o.IsAmbiguous ? long.MaxValue : o.Completed)];
        done = new bool[ops.Length];
        required = ambiguous.Count(static a => !a);
    }

    private readonly record struct Register(long Version, int Value);

    /// <summary>One configuration on the search path and the candidates still to try from it.</summary>
    private sealed class Frame(Register state, int prefix, int[] deferred, int taken, List<int> candidates)
    {
        public Register State { get; } = state;

        public int Prefix { get; } = prefix;

        public int[] Deferred { get; } = deferred;

        /// <summary>The operation whose linearization led here (-1 at the root).</summary>
        public int Taken { get; } = taken;

        public List<int> Candidates { get; } = candidates;

        public int Next { get; set; }
    }

    public (bool Ok, string Explanation) Run()
    {
        var seen = new HashSet<ConfigurationKey>();
        var linearized = 0;
        var stack = new Stack<Frame>();
        var (rootPrefix, rootDeferred) = Settle(0, []);
        var best = (Count: 0, Prefix: rootPrefix);
        stack.Push(Open(new Register(0, 0), rootPrefix, rootDeferred, -1, out var rootKey));
        seen.Add(rootKey);
        while (linearized < required)
        {
            var frame = stack.Peek();
            if (frame.Next == frame.Candidates.Count)
            {
                stack.Pop();
                if (stack.Count == 0)
                    return (false, Explain(best));
                done[frame.Taken] = false;
                if (!ambiguous[frame.Taken])
                    linearized--;
                continue;
            }

            var i = frame.Candidates[frame.Next++];
            if (!Step(frame.State, i, out var next))
                continue;
            done[i] = true;
            var deferred = ambiguous[i] && i < frame.Prefix ? frame.Deferred.Where(d => d != i).ToArray() : frame.Deferred;
            var (prefix, settled) = Settle(frame.Prefix, deferred);
            var child = Open(next, prefix, settled, i, out var key);
            if (!seen.Add(key))
            {
                done[i] = false;
                continue;
            }

            if (seen.Count > MaxConfigurations)
                return (false, $"not shown linearizable: gave up after {MaxConfigurations} configurations ({ops.Length} operations)");
            if (!ambiguous[i])
                linearized++;
            if (linearized > best.Count)
                best = (linearized, prefix);
            stack.Push(child);
        }

        return (true, $"linearizable ({ops.Length} operations, {ambiguous.Count(static a => a)} ambiguous, {seen.Count} configurations)");
    }

    /// <summary>Moves the prefix past linearized operations and ambiguous ones (deferring those still pending).</summary>
    private (int Prefix, int[] Deferred) Settle(int prefix, int[] deferred)
    {
        List<int>? added = null;
        while (prefix < ops.Length && (done[prefix] || ambiguous[prefix]))
        {
            if (!done[prefix])
                (added ??= []).Add(prefix);
            prefix++;
        }

        return (prefix, added is null ? deferred : [.. deferred, .. added]);
    }

    /// <summary>
    /// The frame for a configuration: candidates are pending operations called before the
    /// earliest pending return, acknowledged ones first. Ambiguous ones are offered only when a
    /// pending acknowledged one needs the version to move (it read or wrote a later version, or
    /// a refused compare-and-set expected the current one): otherwise an order that applies the
    /// acknowledged one first exists whenever any does. Of the interchangeable version bumps
    /// only one is offered.
    /// </summary>
    private Frame Open(Register state, int prefix, int[] deferred, int taken, out ConfigurationKey key)
    {
        var candidates = new List<int>();
        var maybe = new List<int>();
        var ahead = new List<long>();
        var earliestReturn = long.MaxValue;
        var needsBump = false;
        for (var i = prefix; i < ops.Length && ops[i].Invoked <= earliestReturn; i++)
        {
            if (done[i])
            {
                ahead.Add(i);
                continue;
            }

            if (ambiguous[i])
            {
                maybe.Add(i);
                continue;
            }

            candidates.Add(i);
            earliestReturn = Math.Min(earliestReturn, returns[i]);
            var op = ops[i];
            needsBump |= op.Kind switch
            {
                OpKind.Read => op.Version > state.Version,
                OpKind.CompareAndSet when op.Mismatch => op.Expected == state.Version,
                _ => op.Version > state.Version + 1,
            };
        }

        var bumps = 0;
        var distinct = new List<long>();
        foreach (var d in deferred)
        {
            if (bump[d])
                bumps++;
            else
                distinct.Add(d);
        }

        if (needsBump)
        {
            var offeredBump = false;
            foreach (var i in deferred.Concat(maybe))
            {
                if (!bump[i] || !offeredBump)
                    candidates.Add(i);
                offeredBump |= bump[i];
            }
        }

        long[] parts = [state.Version, state.Value, prefix, bumps, ahead.Count, .. ahead, .. distinct];
        key = new ConfigurationKey(parts);
        return new Frame(state, prefix, deferred, taken, candidates);
    }

    /// <summary>Applies operation <paramref name="i"/> to the register; false when its observed result rules this out.</summary>
    private bool Step(Register state, int i, out Register next)
    {
        var op = ops[i];
        next = state;
        switch (op.Kind)
        {
            case OpKind.Read:
                return op.Version == state.Version && values[i] == state.Value;
            case OpKind.CompareAndSet when op.Mismatch:
                return state.Version != op.Expected;
            case OpKind.CompareAndSet when state.Version != op.Expected:
                return false; // an ambiguous one that did not match is the same as one that never happened
            case OpKind.CompareAndSet or OpKind.Write:
                next = new Register(state.Version + 1, values[i]);
                return ambiguous[i] || op.Version == next.Version;
            default:
                return false;
        }
    }

    private string Explain((int Count, int Prefix) best)
    {
        var stuck = best.Prefix < ops.Length ? $"; the furthest order got stuck at {ops[best.Prefix]}" : "";
        return $"not linearizable: no order explains more than {best.Count} of {required} acknowledged operations{stuck}";
    }

    /// <summary>A configuration of the search, compared by value.</summary>
    private sealed class ConfigurationKey(long[] parts) : IEquatable<ConfigurationKey>
    {
        private readonly long[] parts = parts;
        private readonly int hash = Hash(parts);

        public bool Equals(ConfigurationKey? other) => other is not null && other.hash == hash && other.parts.AsSpan().SequenceEqual(parts);

        public override bool Equals(object? obj) => Equals(obj as ConfigurationKey);

        public override int GetHashCode() => hash;

        private static int Hash(long[] parts)
        {
            var hash = new HashCode();
            foreach (var part in parts)
                hash.Add(part);
            return hash.ToHashCode();
        }
    }
}
