using System;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Xunit;

namespace OtelGen.Generator.Tests;

/// <summary>
/// Every call of an instrumented method gets a span or a diagnostic, and no call changes behaviour: the cases that
/// used to run without either, or wrongly (issue 27, items 2 and 9). Programs are compiled with the generator, loaded and run.
/// </summary>
public class SilentMissTests
{
    private static Build.Result Build(string body) => Tests.Build.Run(("Input.cs", """
        using System;
        using System.Collections.Generic;
        using System.Threading.Tasks;
        using OtelGen;

        namespace MyApp;

        """ + body));

    private static object? Call(Assembly assembly, string type, string method, params object?[] arguments) =>
        assembly.GetType("MyApp." + type)!.GetMethod(method)!.Invoke(null, arguments);

    private static bool Recorded(string spanName) => OtelGen.Tracing.Ring.Snapshot().Any(s => s.Name == spanName);

    private const string Counters = """
        public interface ICounter { [Traced("counter.inc")] void Inc(); }
        public struct Counter : ICounter { public int Value; public void Inc() => Value++; }
        public sealed class Box : ICounter { public int Value; public void Inc() => Value++; }

        """;

    [Fact]
    public void A_struct_mutated_through_a_constrained_generic_call_keeps_the_mutation_and_the_call_is_reported()
    {
        var build = Build(Counters + """
            public static class Program
            {
                static void Bump<T>(ref T counter) where T : ICounter => counter.Inc();
                public static int Run() { var c = new Counter(); Bump(ref c); return c.Value; }
            }
            """);

        Assert.Equal(1, Call(build.Load(), "Program", "Run"));
        Assert.Null(build.Generated);
        Diagnostic d = Assert.Single(build.Diagnostics);
        Assert.Equal("OTG1007", d.Id);
        Assert.Equal("Inc", d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan));
        Assert.Contains("This call to 'ICounter.Inc' is not traced: the receiver is of type parameter 'T', which may be a struct", d.GetMessage());
        Assert.Contains("constrain 'T' to class", d.GetMessage());
    }

    [Fact]
    public void A_generic_receiver_known_to_be_a_reference_or_a_nullable_struct_is_decided_the_same_way()
    {
        var build = Build(Counters + """
            public static class Program
            {
                static void Hit<T>(T counter) where T : class, ICounter => counter.Inc();
                static void Maybe<T>(T? counter) where T : struct, ICounter => counter?.Inc();
                public static int Run() { var b = new Box(); Hit(b); Maybe<Counter>(new Counter()); return b.Value; }
            }
            """);

        Assert.Equal(1, Call(build.Load(), "Program", "Run"));
        Assert.Matches(@"Intercepts: Input\.cs\(12,\d+\): counter\.Inc\(\)", build.Generated);
        Assert.Equal(new[] { "OTG1007" }, build.Diagnostics.Select(d => d.Id));
        Assert.Contains("type parameter 'T', which may be a struct", build.Diagnostics[0].GetMessage());
    }
}
