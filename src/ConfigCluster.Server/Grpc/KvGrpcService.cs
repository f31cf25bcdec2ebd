using System.Text;
using ConfigCluster.Contracts.V1;
using ConfigCluster.Server.Application;
using ConfigCluster.Storage;
using Grpc.Core;
using ContractKeyPath = ConfigCluster.Contracts.V1.KeyPath;
using CoreKeyPath = ConfigCluster.Core.Keys.KeyPath;

namespace ConfigCluster.Server.Grpc;

/// <summary>The public KV service (proto/configcluster/v1/kv.proto).</summary>
public sealed class KvGrpcService(ConfigService config) : KV.KVBase
{
    public override async Task<GetResponse> Get(GetRequest request, ServerCallContext context)
    {
        var path = ToPath(request.Path);
        var found = (await config.GetAsync(path, request.Version, ToConsistency(request.Consistency), context.CancellationToken)).OrThrow();
        return new GetResponse { Kv = ToKeyValue(found, revealValue: true), Revision = config.Store.Revision };
    }

    public override async Task<WriteResponse> Put(PutRequest request, ServerCallContext context)
    {
        var path = ToPath(request.Path);
        var result = (await config.PutAsync(path, request.ValueJson, request.Secret, request.HasExpectedVersion ? request.ExpectedVersion : null, request.RequestId, context.CancellationToken)).OrThrow();
        return ToWriteResponse(result);
    }

    public override async Task<WriteResponse> Delete(DeleteRequest request, ServerCallContext context)
    {
        var path = ToPath(request.Path);
        var result = (await config.DeleteAsync(path, request.HasExpectedVersion ? request.ExpectedVersion : null, request.RequestId, context.CancellationToken, request.Mask)).OrThrow();
        return ToWriteResponse(result);
    }

    public override async Task<WriteResponse> Rollback(RollbackRequest request, ServerCallContext context)
    {
        var path = ToPath(request.Path);
        var result = (await config.RollbackAsync(path, request.ToVersion, request.RequestId, context.CancellationToken)).OrThrow();
        return ToWriteResponse(result);
    }

    public override async Task<ListResponse> List(ListRequest request, ServerCallContext context)
    {
        var page = (await config.ListAsync(request.Namespace, request.Environment, request.Prefix, request.PageToken, request.Limit, request.IncludeDeleted, ToConsistency(request.Consistency), context.CancellationToken)).OrThrow();
        var response = new ListResponse { NextPageToken = page.NextAfter ?? "", Revision = config.Store.Revision };
        foreach (var item in page.Items)
            response.Items.Add(ToKeyValue(item, revealValue: false));
        return response;
    }

    public override async Task<HistoryResponse> History(HistoryRequest request, ServerCallContext context)
    {
        var path = ToPath(request.Path);
        var versions = (await config.HistoryAsync(path, ToConsistency(request.Consistency), context.CancellationToken)).OrThrow();
        var response = new HistoryResponse { Path = ToContract(path) };
        foreach (var version in versions)
            response.Versions.Add(ToKeyValue(version, revealValue: false));
        return response;
    }

    private static CoreKeyPath ToPath(ContractKeyPath? path)
        => CoreKeyPath.TryCreate(path?.Namespace, path?.Environment, path?.Key, out var result, out var error)
            ? result
            : throw GrpcErrors.ToRpcException(new ConfigError(ConfigErrorCode.InvalidArgument, error));

    private static ReadConsistency ToConsistency(Consistency consistency)
        => consistency == Consistency.Serializable ? ReadConsistency.Serializable : ReadConsistency.Linearizable;

    private static ContractKeyPath ToContract(CoreKeyPath path)
        => new() { Namespace = path.Namespace, Environment = path.Environment, Key = path.Key };

    private static WriteResponse ToWriteResponse(WriteResult result)
        => new() { Path = ToContract(result.Path), Version = result.Version, Revision = result.Revision };

    // Secret values are shown only to an explicit Get of the key.
    internal static KeyValue ToKeyValue(StoredVersion version, bool revealValue) => new()
    {
        Path = ToContract(version.Path),
        ValueJson = version.IsDeletion || (version.Secret && !revealValue) ? "" : Encoding.UTF8.GetString(version.ValueAsJson()),
        Version = version.Version,
        Revision = version.Revision,
        Secret = version.Secret,
        Author = version.Author,
        UpdatedAtUnixMs = version.Timestamp.ToUnixTimeMilliseconds(),
        Operation = version.Operation switch
        {
            VersionKind.Delete => Operation.Delete,
            VersionKind.Rollback => Operation.Rollback,
            VersionKind.Mask => Operation.Mask,
            _ => Operation.Put,
        },
        RolledBackFrom = version.RolledBackFrom,
        Fingerprint = version.Fingerprint.IsEmpty ? "" : Convert.ToHexStringLower(version.Fingerprint.Span),
    };
}
