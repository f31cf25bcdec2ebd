namespace ConfigCluster.Server.Tests.Chaos;

/// <summary>
/// Checks that a history of one key is linearizable for a versioned register, by a Wing–Gong
/// style search with memoization (as Knossos and Porcupine do): repeatedly pick an operation
/// that may take effect next (its call precedes every pending return), apply it to the model,
/// and backtrack when the model rejects its observed result. Ambiguous operations may take
/// effect at any point after their call, or never. Definitely failed operations are left out,
/// except compare-and-set mismatches, which must observe a different version.
/// </summary>
public static class LinearizabilityChecker
{
    private sealed record State(string? Value, long Version);

    public static (bool Ok, string Explanation) Check(IReadOnlyList<Operation> history)
    {
        var ops = history.Where(static o => o.Outcome != Outcome.Failed || o.Mismatch).ToList();
        var n = ops.Count;
        if (n > 62 * 1024)
            throw new ArgumentException("history too long for the checker");
        var returns = ops.Select(static o => o.IsAmbiguous ? long.MaxValue : o.Completed).ToArray();
        var order = Enumerable.Range(0, n).OrderBy(i => ops[i].Invoked).ToArray();
        var done = new bool[n];
        var seen = new HashSet<string>();
        var linearized = 0;
        var ambiguousCount = ops.Count(static o => o.IsAmbiguous);
        var best = 0;

        bool Search(State state)
        {
            if (linearized + CountSkippable() == n)
                return true;
            var key = Fingerprint(state);
            if (!seen.Add(key))
                return false;

            // The earliest pending return bounds which calls can go next.
            var minReturn = long.MaxValue;
            foreach (var i in order)
            {
                if (!done[i])
                    minReturn = Math.Min(minReturn, returns[i]);
            }

            foreach (var i in order)
            {
                if (done[i])
                    continue;
                if (ops[i].Invoked > minReturn)
                    break;
                if (!Step(state, ops[i], out var next))
                    continue;
                done[i] = true;
                linearized++;
                best = Math.Max(best, linearized);
                if (Search(next))
                    return true;
                done[i] = false;
                linearized--;
            }

            // Ambiguous operations may also never take effect: drop the one blocking progress.
            return false;
        }

        int CountSkippable()
        {
            // Remaining operations that are all ambiguous may simply never have happened.
            var remaining = 0;
            for (var i = 0; i < n; i++)
            {
                if (!done[i])
                {
                    if (!ops[i].IsAmbiguous)
                        return 0;
                    remaining++;
                }
            }

            return remaining;
        }

        string Fingerprint(State state)
        {
            var bits = new char[n];
            for (var i = 0; i < n; i++)
                bits[i] = done[i] ? '1' : '0';
            return $"{state.Version}|{state.Value}|{new string(bits)}";
        }

        var ok = Search(new State(null, 0));
        return ok ? (true, $"linearizable ({n} operations, {ambiguousCount} ambiguous)") : (false, $"not linearizable: no order explains more than {best} of {n} operations");
    }

    private static bool Step(State state, Operation op, out State next)
    {
        next = state;
        switch (op.Kind)
        {
            case OpKind.Write:
                next = new State(op.Value, state.Version + 1);
                return op.IsAmbiguous || op.Version == next.Version;
            case OpKind.CompareAndSet when op.Mismatch:
                return state.Version != op.Expected;
            case OpKind.CompareAndSet:
                if (state.Version != op.Expected)
                    return false;
                next = new State(op.Value, state.Version + 1);
                return op.IsAmbiguous || op.Version == next.Version;
            case OpKind.Read:
                return op.IsAmbiguous || (op.Version == state.Version && op.ReadValue == state.Value);
            default:
                return false;
        }
    }
}
