using Xunit;

// The span ring, Tracing.IsEnabled and ActivityListeners are process-wide: run these tests one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace OtelGen.AspNetCore.Tests
{
    internal static class JobThresholds
    {
        /// <summary>
        /// Trace shapes in these tests are exact: on a loaded machine a queue wait or a park can cross the
        /// default 5 ms promotion threshold, so promotion is off unless a test switches it on.
        /// </summary>
        [System.Runtime.CompilerServices.ModuleInitializer]
        internal static void NoPromotionByDefault()
        {
            OtelGen.Jobs.JobSettings.PromoteQueueMs = 3_600_000;
            OtelGen.Jobs.JobSettings.PromoteParkMs = 3_600_000;
        }
    }
}
