using OtelGen.Spans;

namespace OtelGen.Sampling;

/// <summary>
/// The decision made when a trace starts here. A span with a parent inherits the parent's sampled flag
/// (parent-based, the OpenTelemetry default); only roots ask the sampler.
/// </summary>
public static class HeadSampler
{
    private static volatile bool s_sampleRoots = true;

    /// <summary>Whether a new root trace with this id is sampled.</summary>
    public static bool ShouldSampleRoot(TraceId traceId) => s_sampleRoots;

    /// <summary>Samples every new root (true) or none (false).</summary>
    public static void SampleRoots(bool sample) => s_sampleRoots = sample;
}
