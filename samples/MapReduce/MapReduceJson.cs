using System.Text.Json.Serialization;

namespace OtelGen.Samples.MapReduce;

/// <summary>
/// The result and summary lines' JSON, generated at build time: the sample publishes as a native
/// executable (NativeAOT), where reflection-based serialization is not available.
/// </summary>
[JsonSerializable(typeof(AgentResult))]
[JsonSerializable(typeof(JobSummary))]
internal sealed partial class MapReduceJson : JsonSerializerContext
{
}
