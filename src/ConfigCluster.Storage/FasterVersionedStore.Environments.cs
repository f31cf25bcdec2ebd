using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Storage.Records;
using Google.Protobuf;

namespace ConfigCluster.Storage;

public sealed partial class FasterVersionedStore
{
    /// <summary>Longest inheritance chain accepted.</summary>
    public const int MaxInheritanceDepth = 16;

    /// <inheritdoc/>
    public IReadOnlyList<string> InheritanceChain(string ns, string env)
    {
        swapGate.EnterReadLock();
        try
        {
            return ChainCore(ns, env, forWrite: false);
        }
        finally
        {
            swapGate.ExitReadLock();
        }
    }

    /// <inheritdoc/>
    public string? ParentOf(string ns, string env)
    {
        swapGate.EnterReadLock();
        try
        {
            return ParentCore(ns, env, forWrite: false);
        }
        finally
        {
            swapGate.ExitReadLock();
        }
    }

    // Every environment inherits "default" unless configured otherwise; "default" inherits nothing.
    private string? ParentCore(string ns, string env, bool forWrite)
    {
        var key = RecordKeys.Environment(ns, env);
        var bytes = forWrite ? instance.ReadForWrite(key) : instance.Read(key);
        if (bytes is not null)
        {
            var record = EnvironmentRecord.Parser.ParseFrom(bytes);
            return record.Inherits.Length == 0 ? null : record.Inherits;
        }

        return env == KeyPath.DefaultScope ? null : KeyPath.DefaultScope;
    }

    private List<string> ChainCore(string ns, string env, bool forWrite)
    {
        var chain = new List<string> { env };
        for (var parent = ParentCore(ns, env, forWrite); parent is not null && chain.Count <= MaxInheritanceDepth; parent = ParentCore(ns, parent, forWrite))
        {
            if (chain.Contains(parent))
                break; // cannot happen: cycles are refused at apply
            chain.Add(parent);
        }

        return chain;
    }

    private CommandResult ApplySetEnvironment(SetEnvironmentOp op)
    {
        if (!KeyPath.TryValidateScope(op.Namespace, "namespace", out var error) || !KeyPath.TryValidateScope(op.Environment, "environment", out error)
            || (op.Inherits.Length > 0 && !KeyPath.TryValidateScope(op.Inherits, "inherits", out error)))
            return Invalid(error);
        if (op.Inherits == op.Environment)
            return Invalid($"environment '{op.Environment}' cannot inherit from itself");
        if (op.Inherits.Length > 0)
        {
            var ancestors = ChainCore(op.Namespace, op.Inherits, forWrite: true);
            if (ancestors.Contains(op.Environment))
                return Invalid($"'{op.Environment}' inheriting '{op.Inherits}' would make a cycle: {op.Environment} -> {string.Join(" -> ", ancestors.TakeWhile(e => e != op.Environment))} -> {op.Environment}");
            if (ancestors.Count + 1 > MaxInheritanceDepth)
                return Invalid($"inheritance chains are limited to {MaxInheritanceDepth} environments");
        }

        instance.Upsert(RecordKeys.Environment(op.Namespace, op.Environment), new EnvironmentRecord { Inherits = op.Inherits, Explicit = true }.ToByteArray());
        return new CommandResult { Code = ResultCode.ResultOk, Revision = revision };
    }
}
