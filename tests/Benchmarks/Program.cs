using BenchmarkDotNet.Running;

// Run by hand, never in CI: dotnet run -c Release --project tests/Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
