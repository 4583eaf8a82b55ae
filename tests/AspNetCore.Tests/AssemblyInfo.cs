using Xunit;

// The span ring, Tracing.IsEnabled and ActivityListeners are process-wide: run these tests one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
