using Xunit;

// Runtime tests share process-wide state (the span ring, the clock, Tracing.IsEnabled): run them one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
