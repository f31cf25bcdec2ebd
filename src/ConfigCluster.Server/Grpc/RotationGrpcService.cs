using ConfigCluster.Contracts.V1;
using ConfigCluster.Server.Application;
using ConfigCluster.Server.Http;
using ConfigCluster.Server.Rotation;
using ConfigCluster.Storage;
using Grpc.Core;
using Cmd = ConfigCluster.Core.Commands;
using KeyPath = ConfigCluster.Contracts.V1.KeyPath;

namespace ConfigCluster.Server.Grpc;

/// <summary>The public Rotation service (proto/configcluster/v1/rotation.proto), over the same <see cref="RotationService"/> as HTTP.</summary>
public sealed class RotationGrpcService(RotationService rotation) : ConfigCluster.Contracts.V1.Rotation.RotationBase
{
    public override async Task<WriteResponse> Rotate(RotateRequest request, ServerCallContext context)
    {
        var path = ToPath(request.Path);
        var generator = request.Generator is null ? null : ToGenerator(request.Generator);
        var result = (await rotation.RotateAsync(path, generator, request.RequestId.Length == 0 ? null : request.RequestId, context.CancellationToken)).OrThrow();
        return new WriteResponse { Path = request.Path ?? new KeyPath(), Version = result.Version, Revision = result.Revision };
    }

    public override async Task<RotationStatus> GetStatus(GetRotationStatusRequest request, ServerCallContext context)
    {
        var path = ToPath(request.Path);
        var (policy, state) = (await rotation.StatusAsync(path, context.CancellationToken)).OrThrow();
        var record = state?.Record;
        return new RotationStatus
        {
            Path = new KeyPath { Namespace = path.Namespace, Environment = path.Environment, Key = path.Key },
            Policy = policy?.Policy.Name ?? "",
            Every = policy is null ? "" : RotationJson.Duration(policy.Policy.EveryMs),
            NextDue = policy is null ? "" : RotationJson.Time(RotationService.NextDue(policy, state)),
            LastResult = RotationService.LastResult(state),
            Rotations = record?.Rotations ?? 0,
            LastRotated = record is { LastRotatedUnixMs: > 0 } ? RotationJson.Time(record.LastRotatedUnixMs) : "",
            LastVersion = record?.LastVersion ?? 0,
            LastAuthor = record?.LastAuthor ?? "",
            Attempts = record?.Attempts ?? 0,
            LastError = record?.LastError ?? "",
            LastFailure = record is { LastFailureUnixMs: > 0 } ? RotationJson.Time(record.LastFailureUnixMs) : "",
            HookPendingVersion = record?.HookPendingVersion ?? 0,
            HookDeliveredVersion = record?.HookDeliveredVersion ?? 0,
            HookAttempts = record?.HookAttempts ?? 0,
            HookLastError = record?.HookLastError ?? "",
        };
    }

    public override async Task<RotationPolicy> SetPolicy(RotationPolicy request, ServerCallContext context)
    {
        if (!RotationService.TryParseEvery(request.Every, out var everyMs, out var invalid))
            throw GrpcErrors.ToRpcException(new ConfigError(ConfigErrorCode.InvalidArgument, invalid));
        var policy = new Cmd.RotationPolicy
        {
            Name = request.Name, Namespace = request.Namespace, Environment = request.Environment, Key = request.Key, Prefix = request.Prefix,
            EveryMs = everyMs, Generator = request.Generator is null ? null : ToGenerator(request.Generator), HookUrl = request.Hook,
        };
        return ToContract((await rotation.SetPolicyAsync(policy, context.CancellationToken)).OrThrow());
    }

    public override async Task<RotationPolicy> GetPolicy(GetRotationPolicyRequest request, ServerCallContext context)
        => ToContract((await rotation.GetPolicyAsync(request.Name, context.CancellationToken)).OrThrow());

    public override async Task<ListRotationPoliciesResponse> ListPolicies(ListRotationPoliciesRequest request, ServerCallContext context)
    {
        var response = new ListRotationPoliciesResponse();
        response.Policies.AddRange((await rotation.ListPoliciesAsync(context.CancellationToken)).OrThrow().Select(ToContract));
        return response;
    }

    public override async Task<DeleteRotationPolicyResponse> DeletePolicy(DeleteRotationPolicyRequest request, ServerCallContext context)
    {
        if (await rotation.DeletePolicyAsync(request.Name, context.CancellationToken) is { } error)
            throw GrpcErrors.ToRpcException(error);
        return new DeleteRotationPolicyResponse();
    }

    private static ConfigCluster.Core.Keys.KeyPath ToPath(KeyPath? path)
        => ConfigCluster.Core.Keys.KeyPath.TryCreate(path?.Namespace, path?.Environment, path?.Key, out var valid, out var error)
            ? valid
            : throw GrpcErrors.ToRpcException(new ConfigError(ConfigErrorCode.InvalidArgument, error));

    private static Cmd.RotationGenerator ToGenerator(ConfigCluster.Contracts.V1.RotationGenerator generator)
        => RotationGeneratorSpec.TryCreate(generator.Type, generator.Length == 0 ? null : generator.Length, generator.Classes, generator.Bytes == 0 ? null : generator.Bytes, generator.StaticRole, out var made, out var error)
            ? made
            : throw GrpcErrors.ToRpcException(new ConfigError(ConfigErrorCode.InvalidArgument, error));

    private static RotationPolicy ToContract(StoredRotationPolicy stored)
    {
        var policy = stored.Policy;
        var generator = new ConfigCluster.Contracts.V1.RotationGenerator { Type = RotationGenerators.Name(policy.Generator) };
        if (policy.Generator?.Password is { } password)
        {
            generator.Length = password.Length;
            generator.Classes.AddRange(RotationGeneratorSpec.Classes(password));
        }
        else if (policy.Generator?.RandomBytes is { } random)
        {
            generator.Bytes = random.Bytes;
        }
        else if (policy.Generator?.Database is { } database)
        {
            generator.StaticRole = database.StaticRole;
        }

        return new RotationPolicy
        {
            Name = policy.Name, Namespace = policy.Namespace, Environment = policy.Environment, Key = policy.Key, Prefix = policy.Prefix,
            Every = RotationJson.Duration(policy.EveryMs), Generator = generator, Hook = policy.HookUrl, SetAt = RotationJson.Time(stored.SetUnixMs),
        };
    }
}
