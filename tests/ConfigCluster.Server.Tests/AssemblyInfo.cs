// Every test starts real node processes; on a 2-core machine they must not run side by side.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
