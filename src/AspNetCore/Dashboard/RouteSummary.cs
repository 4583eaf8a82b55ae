namespace OtelGen.AspNetCore.Dashboard;

/// <summary>One route's numbers for the metrics strip, read from the folds' route aggregate: requests, errors and latency percentiles (seconds).</summary>
internal readonly record struct RouteSummary(string? Method, string Route, long Requests, long Errors, double P50, double P95, double P99);
