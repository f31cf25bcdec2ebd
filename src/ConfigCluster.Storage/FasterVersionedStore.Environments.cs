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
    public IReadOnlyList<string> InheritanceChain(string ns, string env) => Chain(Volatile.Read(ref current).Metadata, ns, env);

    /// <inheritdoc/>
    public string? ParentOf(string ns, string env) => Parent(Volatile.Read(ref current).Metadata, ns, env);

    // Every environment inherits "default" unless configured otherwise; "default" inherits nothing.
    private static string? Parent(HotMetadata metadata, string ns, string env)
        => metadata.ConfiguredParent(ns, env) is { } configured
            ? (configured.Length == 0 ? null : configured)
            : (env == KeyPath.DefaultScope ? null : KeyPath.DefaultScope);

    private static List<string> Chain(HotMetadata metadata, string ns, string env)
    {
        var chain = new List<string> { env };
        for (var parent = Parent(metadata, ns, env); parent is not null && chain.Count <= MaxInheritanceDepth; parent = Parent(metadata, ns, parent))
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
            var ancestors = Chain(current.Metadata, op.Namespace, op.Inherits);
            if (ancestors.Contains(op.Environment))
                return Invalid($"'{op.Environment}' inheriting '{op.Inherits}' would make a cycle: {op.Environment} -> {string.Join(" -> ", ancestors.TakeWhile(e => e != op.Environment))} -> {op.Environment}");
            if (ancestors.Count + 1 > MaxInheritanceDepth)
                return Invalid($"inheritance chains are limited to {MaxInheritanceDepth} environments");
        }

        UpsertMetadata(RecordKeys.Environment(op.Namespace, op.Environment), new EnvironmentRecord { Inherits = op.Inherits, Explicit = true }.ToByteArray());
        return new CommandResult { Code = ResultCode.ResultOk, Revision = revision };
    }
}
