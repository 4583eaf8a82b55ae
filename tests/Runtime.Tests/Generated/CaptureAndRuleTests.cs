using System;
using System.Diagnostics;
using System.Threading.Tasks;
using OtelGen.Runtime.Tests.Generated.Wide;
using OtelGen.Spans;
using Xunit;

[assembly: OtelGen.TracedNamespace("OtelGen.Runtime.Tests.Generated.Wide", TypeNames = "*Service")]

namespace OtelGen.Runtime.Tests.Generated.Wide
{
    public class BillingService
    {
        public int Charge(int cents) => cents;

        [Traced("billing.refund")]
        public int Refund(int cents) => -cents;

        [NoTrace]
        public int Quiet() => 0;
    }

    public class BillingHelper
    {
        public int NotMatched() => 1;
    }
}

namespace OtelGen.Runtime.Tests.Generated
{
    public enum Plan { Free = 1, Pro = 2 }

    public sealed class Order
    {
        public override string ToString() => "order-7";
    }

    public class CaptureSample
    {
        [Traced(ReturnTag = "app.total")]
        public long Total([Tag("app.count")] int count, [Tag("app.price")] double price, [Tag("app.name")] string? name,
            [Tag("app.plan")] Plan plan, [Tag("app.plan_name", UseToString = true)] Plan planName, [Tag("app.discount")] int? discount,
            [Tag("app.order", UseToString = true)] Order order, [Tag("app.ids")] int[] ids, Order untagged)
            => count * 10L;

        [Effect("db.get", Target = "orders", ReturnTag = "app.found")]
        public async Task<bool> ExistsAsync([Tag("app.order_id")] long id)
        {
            await Task.Yield();
            return id > 0;
        }

        [Effect("cache.get", Target = "orders", Required = false)]
        public string Cached() => throw new TimeoutException("cache down");
    }

    [Traced]
    public class ClassWide
    {
        public int Public() => 1;

        [Traced("classwide.named")]
        public int Named() => 2;

        [NoTrace]
        public int Excluded() => 3;

        internal int NotPublic() => 4;
    }

    public class CaptureAndRuleTests
    {
        [Fact]
        public void Tagged_arguments_and_the_return_value_are_recorded_with_their_types()
        {
            long before = Tracing.Ring.Written;
            new CaptureSample().Total(3, 2.5, null, Plan.Pro, Plan.Free, null, new Order(), new[] { 1, 2 }, new Order());
            SpanRecord span = Recorded.Single("CaptureSample.Total", before);
            Assert.Equal(3L, Recorded.Attribute(span, "app.count").AsLong());
            Assert.Equal(2.5, Recorded.Attribute(span, "app.price").AsDouble());
            Assert.False(Recorded.Has(span, "app.name"));      // null strings are left out
            Assert.Equal(2L, Recorded.Attribute(span, "app.plan").AsLong());
            Assert.Equal("Free", Recorded.Attribute(span, "app.plan_name").AsString());
            Assert.False(Recorded.Has(span, "app.discount"));  // Nullable without a value is left out
            Assert.Equal("order-7", Recorded.Attribute(span, "app.order").AsString());
            Assert.Equal(new long[] { 1, 2 }, Recorded.Attribute(span, "app.ids").AsLongArray());
            Assert.Equal(30L, Recorded.Attribute(span, "app.total").AsLong());
        }

        [Fact]
        public async Task An_async_effect_records_semconv_keys_tags_and_its_result()
        {
            long before = Tracing.Ring.Written;
            Assert.True(await new CaptureSample().ExistsAsync(9));
            SpanRecord span = Recorded.Eventually("db.get orders", before);
            Assert.Equal(ActivityKind.Client, span.Kind);
            Assert.Equal("get", Recorded.Attribute(span, "db.operation.name").AsString());
            Assert.Equal("orders", Recorded.Attribute(span, "db.collection.name").AsString());
            Assert.Equal("db", Recorded.Attribute(span, "otelgen.effect.system").AsString());
            Assert.Equal("orders", Recorded.Attribute(span, "otelgen.effect.target").AsString());
            Assert.Equal(9L, Recorded.Attribute(span, "app.order_id").AsLong());
            Assert.True(Recorded.Attribute(span, "app.found").AsBool());
        }

        [Fact]
        public void An_optional_effect_that_fails_keeps_an_unset_status_but_records_the_error_type()
        {
            long before = Tracing.Ring.Written;
            Assert.Throws<TimeoutException>(() => new CaptureSample().Cached());
            SpanRecord span = Recorded.Single("cache.get orders", before);
            Assert.Equal(SpanStatusCode.Unset, span.StatusCode);
            Assert.Equal("System.TimeoutException", Recorded.Attribute(span, "error.type").AsString());
        }

        [Fact]
        public void Traced_on_a_class_instruments_its_public_methods_and_explicit_attributes_win()
        {
            long before = Tracing.Ring.Written;
            var wide = new ClassWide();
            Assert.Equal(10, wide.Public() + wide.Named() + wide.Excluded() + wide.NotPublic());
            Recorded.Single("ClassWide.Public", before);
            Recorded.Single("classwide.named", before);
            Assert.DoesNotContain(Recorded.Since(before), s => s.Name is "ClassWide.Excluded" or "ClassWide.NotPublic" or "ClassWide.Named");
        }

        [Fact]
        public void The_assembly_rule_instruments_matching_types_and_NoTrace_excludes()
        {
            long before = Tracing.Ring.Written;
            var billing = new BillingService();
            Assert.Equal(0, billing.Charge(5) + billing.Refund(5) + billing.Quiet() + new BillingHelper().NotMatched() - 1);
            SpanRecord charge = Recorded.Single("BillingService.Charge", before);
            Assert.Equal("OtelGen.Runtime.Tests.Generated.Wide.BillingService.Charge", Recorded.Attribute(charge, "code.function.name").AsString());
            Recorded.Single("billing.refund", before);
            Assert.DoesNotContain(Recorded.Since(before), s => s.Name is "BillingService.Quiet" or "BillingHelper.NotMatched");
        }
    }
}
