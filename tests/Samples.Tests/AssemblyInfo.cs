using Xunit;

// The workflow tests read spans from the process-wide ring; the map/reduce tests fill it with tens of
// thousands of spans. Run the classes one at a time so one never overwrites what another is reading.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
