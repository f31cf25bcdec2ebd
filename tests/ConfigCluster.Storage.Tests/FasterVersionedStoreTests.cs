namespace ConfigCluster.Storage.Tests;

/// <summary>The contract suite against the FASTER-backed store, with small FASTER sizes.</summary>
public sealed class FasterVersionedStoreTests : VersionedStoreContractTests
{
    protected override IVersionedStore OpenStore(string directory) => FasterVersionedStore.Open(new StoreOptions
    {
        Directory = directory,
        IndexSizeBytes = 1L << 20,
        LogMemoryBytes = 1L << 24,
        PageSizeBytes = 1L << 16,
    });
}
