using ConfigCluster.Contracts.V1;
using KeyPath = ConfigCluster.Core.Keys.KeyPath;
using ConfigCluster.Server.Application;
using ConfigCluster.Storage;
using Grpc.Core;

namespace ConfigCluster.Server.Grpc;

/// <summary>The public Environments service (proto/configcluster/v1/environments.proto).</summary>
public sealed class EnvironmentsGrpcService(EnvironmentService environments, ConfigService config) : Contracts.V1.Environments.EnvironmentsBase
{
    public override async Task<EnvironmentInfo> SetEnvironment(SetEnvironmentRequest request, ServerCallContext context)
    {
        var chain = (await environments.SetInheritsAsync(request.Namespace, request.Environment, request.Inherits, context.CancellationToken)).OrThrow();
        return new EnvironmentInfo { Environment = request.Environment, Inherits = request.Inherits, Chain = { chain } };
    }

    public override Task<EnvironmentInfo> GetEnvironment(GetEnvironmentRequest request, ServerCallContext context)
    {
        var ns = Scope(request.Namespace, "namespace");
        var env = Scope(request.Environment, "environment");
        return Task.FromResult(new EnvironmentInfo { Environment = env, Inherits = config.Store.ParentOf(ns, env) ?? "", Chain = { config.Store.InheritanceChain(ns, env) } });
    }

    public override async Task<ListResponse> ListEffective(ListEffectiveRequest request, ServerCallContext context)
    {
        var ns = Scope(request.Namespace, "namespace");
        var env = Scope(request.Environment, "environment");
        await CatchUpAsync(context);
        var response = new ListResponse { Revision = config.Store.Revision };
        foreach (var item in (await environments.EffectiveViewAsync(ns, env, request.Prefix, context.CancellationToken)).Values)
            response.Items.Add(KvGrpcService.ToKeyValue(item, revealValue: false));
        return response;
    }

    public override async Task<DiffResponse> Diff(DiffRequest request, ServerCallContext context)
    {
        var ns = Scope(request.Namespace, "namespace");
        await CatchUpAsync(context);
        var diff = (await environments.DiffAsync(ns, Scope(request.From, "from"), Scope(request.To, "to"), request.Prefix, context.CancellationToken)).OrThrow();
        var response = new DiffResponse();
        response.Added.AddRange(diff.Added.Select(static v => new DiffEntry { Key = v.Path.Key, To = KvGrpcService.ToKeyValue(v, revealValue: false) }));
        response.Removed.AddRange(diff.Removed.Select(static v => new DiffEntry { Key = v.Path.Key, From = KvGrpcService.ToKeyValue(v, revealValue: false) }));
        response.Changed.AddRange(diff.Changed.Select(static c => new DiffEntry
        {
            Key = c.From.Path.Key,
            From = KvGrpcService.ToKeyValue(c.From, revealValue: false),
            To = KvGrpcService.ToKeyValue(c.To, revealValue: false),
        }));
        return response;
    }

    public override async Task<ChangeSetResponse> ApplyChangeSet(ChangeSetRequest request, ServerCallContext context)
    {
        var entries = new List<ChangeSetEntry>(request.Items.Count);
        foreach (var item in request.Items)
        {
            if (!KeyPath.TryCreate(item.Path?.Namespace, item.Path?.Environment, item.Path?.Key, out var path, out var error))
                throw GrpcErrors.ToRpcException(new ConfigError(ConfigErrorCode.InvalidArgument, error));
            entries.Add(new ChangeSetEntry(path, item.HasValueJson ? item.ValueJson : null, item.Secret, item.HasExpectedVersion ? item.ExpectedVersion : null, item.Mask));
        }

        var result = (await environments.ApplyChangeSetAsync(entries, request.Message, request.RequestId, context.CancellationToken)).OrThrow();
        return new ChangeSetResponse { Revision = result.Revision, Versions = { result.Versions } };
    }

    public override async Task<PromoteResponse> Promote(PromoteRequest request, ServerCallContext context)
    {
        var ns = Scope(request.Namespace, "namespace");
        await CatchUpAsync(context);
        var keys = request.Keys.Count > 0 ? request.Keys.ToHashSet(StringComparer.Ordinal) : null;
        var (result, promoted) = (await environments.PromoteAsync(ns, Scope(request.From, "from"), Scope(request.To, "to"), request.Prefix, keys, request.Message, context.CancellationToken)).OrThrow();
        return new PromoteResponse { Promoted = { promoted }, Revision = result?.Revision ?? config.Store.Revision };
    }

    private async Task CatchUpAsync(ServerCallContext context)
    {
        if (await config.CatchUpAsync(context.CancellationToken) is { } error)
            throw GrpcErrors.ToRpcException(error);
    }

    private static string Scope(string value, string what)
    {
        value = string.IsNullOrEmpty(value) && what == "namespace" ? KeyPath.DefaultScope : value;
        return KeyPath.TryValidateScope(value, what, out var error) && value.Length > 0
            ? value
            : throw GrpcErrors.ToRpcException(new ConfigError(ConfigErrorCode.InvalidArgument, error ?? $"{what} is required"));
    }
}
