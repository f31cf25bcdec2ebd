using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/ConfigCluster.Benchmarks -- --filter '*'
// dotnet run -c Release --project benchmarks/ConfigCluster.Benchmarks -- store-fill [keys] [valueBytes] [memoryMiB] [reads] [readers]
if (args is ["store-fill", .. var fillArgs])
    await ConfigCluster.Benchmarks.StoreFill.RunAsync(fillArgs);
else
    BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

public partial class Program;
