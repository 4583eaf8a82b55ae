namespace OtelGen.Analyzers;
