namespace OtelGen.Analyzers.CodeFixes;
