namespace OtelGen.Generator;
