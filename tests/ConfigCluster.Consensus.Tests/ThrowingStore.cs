using System.Reflection;
using ConfigCluster.Core.Commands;
using ConfigCluster.Storage;

namespace ConfigCluster.Consensus.Tests;

/// <summary>The real store, except that applying a command with <see cref="FailingRequestId"/> fails.</summary>
public class ThrowingStore : DispatchProxy
{
    public const string FailingRequestId = "boom";

    private IVersionedStore inner = null!;

    internal static IVersionedStore Wrap(IVersionedStore store)
    {
        var proxy = Create<IVersionedStore, ThrowingStore>();
        ((ThrowingStore)(object)proxy).inner = store;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (args is { Length: > 0 } && args[0] is Command { RequestId: FailingRequestId })
        {
            if (targetMethod.Name == nameof(IVersionedStore.Apply))
                throw new InvalidOperationException("simulated store failure");
        }

        try
        {
            return targetMethod.Invoke(inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }
}
