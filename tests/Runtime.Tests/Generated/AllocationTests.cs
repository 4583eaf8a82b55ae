using System;
using System.Threading.Tasks;
using Xunit;
using Xunit.Abstractions;

namespace OtelGen.Runtime.Tests.Generated
{
    public class AllocationSample
    {
        private long _sum;

        [Traced]
        public long Add([Tag("app.value")] int value) => _sum += value;

        public long AddUntraced(int value) => _sum += value;

        [Traced]
        public Task<int> CompletedAsync(int value) => Task.FromResult(value);

        public Task<int> CompletedUntracedAsync(int value) => Task.FromResult(value);

        [Traced]
        public async Task<int> YieldingAsync(int value)
        {
            await Task.Yield();
            return value;
        }

        public async Task<int> YieldingUntracedAsync(int value)
        {
            await Task.Yield();
            return value;
        }

        [Traced]
        public ValueTask<int> CompletedValueAsync(int value) => new(value);

        public ValueTask<int> CompletedValueUntracedAsync(int value) => new(value);
    }

    public class AllocationTests
    {
        private static readonly System.Threading.AsyncLocal<object?> RequestScope = new();
        private readonly ITestOutputHelper _output;

        public AllocationTests(ITestOutputHelper output) => _output = output;

        [Fact]
        public void A_synchronous_span_allocates_nothing_over_a_million_calls()
        {
            var sample = new AllocationSample();
            // Warm up past the ring's capacity: each ring slot grows its arrays on the first lap.
            for (int i = 0; i < 3 * Tracing.Ring.Capacity; i++)
            {
                sample.Add(i);
            }
            long written = Tracing.Ring.Written;
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1_000_000; i++)
            {
                sample.Add(i);
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(1_000_000, Tracing.Ring.Written - written);
            Assert.Equal(0, allocated);
        }

        [Fact]
        public async Task Async_span_allocations_are_measured()
        {
            var sample = new AllocationSample();
            const int calls = 20_000;
            // Whole-process bytes: continuations run on pool threads. Tests run one at a time.
            async Task<double> PerCall(Func<int, ValueTask<int>> call)
            {
                // A flow that carries an async-local of the caller's, as a request's does (a logging scope).
                RequestScope.Value = new object();
                for (int i = 0; i < 3 * Tracing.Ring.Capacity; i++)
                {
                    await call(i);
                }
                long before = GC.GetTotalAllocatedBytes(precise: true);
                for (int i = 0; i < calls; i++)
                {
                    await call(i);
                }
                return (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)calls;
            }

            double completedTask = await PerCall(i => new ValueTask<int>(sample.CompletedAsync(i))) - await PerCall(i => new ValueTask<int>(sample.CompletedUntracedAsync(i)));
            double yieldingTask = await PerCall(i => new ValueTask<int>(sample.YieldingAsync(i))) - await PerCall(i => new ValueTask<int>(sample.YieldingUntracedAsync(i)));
            double completedValueTask = await PerCall(i => sample.CompletedValueAsync(i)) - await PerCall(i => sample.CompletedValueUntracedAsync(i));
            _output.WriteLine($"span cost per call (traced minus untraced): completed Task<int> {completedTask:0} B, awaited Task<int> {yieldingTask:0} B, completed ValueTask<int> {completedValueTask:0} B");

            // Bounds with a little room (whole-process bytes, whose spread here is about 30 B). All three are the flow: one
            // async-local change (the node, the new ExecutionContext and its two-entry map, 160 B) and, because this
            // flow did not carry OtelGen's node before, the runtime's list of async-locals to notify of changes (48 B;
            // a request's flow pays it once, for its SERVER span). An awaited async method's span adds nothing to end:
            // it ends as the method's flow is left (FlowNode.EndWhenLeft). With a continuation on the task it was
            // 340-370 B, and 414-448 B while that continuation kept a copy of the caller's ExecutionContext.
            Assert.InRange(completedTask, 0, 232);
            Assert.InRange(yieldingTask, 0, 232);
            Assert.InRange(completedValueTask, 0, 232);
        }
    }
}
