[assembly: TracedNamespace("Behaviour.Services", TypeNames = "*Service")]

namespace Behaviour
{
    // Records, tuples, partial methods, [Traced] on a class, [TracedNamespace], [NoTrace], reflection,
    // [Obsolete] members.

    public sealed record Person(string Name, int Age)
    {
        [Traced]
        public Person Older(int years) => this with { Age = Age + years };

        [Traced]
        public (string Name, int Age) Split() => (Name, Age);
    }

    public record Shape(string Kind)
    {
        [Traced]
        public virtual string Label() => "shape " + Kind;
    }

    public sealed record Dot() : Shape("dot")
    {
        public override string Label() => "dot!";
    }

    public static class RecordsAndTuples
    {
        [Traced]
        public static (int Min, int Max) MinMax(int[] values)
        {
            int min = int.MaxValue, max = int.MinValue;
            foreach (int v in values)
            {
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
            return (min, max);
        }

        [Traced]
        public static ValueTuple<int, string, double> Triple() => (1, "two", 3.0);

        [Traced]
        public static Tuple<int, int> OldTuple() => Tuple.Create(1, 2);

        [Traced]
        public static (int, (string, bool)) Nested((int A, int B) pair) => (pair.A + pair.B, ("n", true));

        [Traced]
        public static KeyValuePair<string, int> Kvp(string k) => new(k, k.Length);

        public static void Run()
        {
            var p = new Person("Ada", 36);
            Person older = p.Older(1);
            Say("record", older);
            Say("record equality", older == new Person("Ada", 37));
            var (name, age) = p.Split();
            Say("deconstructed", name + " " + age);
            Shape s = new Dot();
            Say("record override", s.Label());
            Say("record base", new Shape("sq").Label());
            (int min, int max) = MinMax(new[] { 4, -2, 9 });
            Say("min max", min + " " + max);
            Say("value tuple", Triple());
            Say("tuple names", MinMax(new[] { 1 }).Max);
            Say("old tuple", OldTuple());
            Say("nested tuple", Nested((1, 2)));
            Say("kvp", Kvp("key"));
        }
    }

    public partial class PartialWork
    {
        [Traced]
        public partial int Compute(int x);

        public partial string Name { get; }
    }

    public partial class PartialWork
    {
        public partial int Compute(int x) => x * 3;

        public partial string Name => "partial";

        public static void Run()
        {
            var w = new PartialWork();
            Say("partial method", w.Compute(4));
            Say("partial property (not traced)", w.Name);
        }
    }

    [Traced]
    public sealed class WholeClass
    {
        public int Public(int x) => Private(x) + 1;

        private int Private(int x) => x * 2;

        public override string ToString() => "whole";

        [NoTrace]
        public int Excluded() => 5;

        public static int Static() => 6;

        [NoTrace]
        public static void Run()
        {
            var w = new WholeClass();
            Say("public", w.Public(1));
            Say("to string", w.ToString());
            Say("excluded", w.Excluded());
            Say("static", Static());
        }
    }

    public static class ReflectionCalls
    {
        public static void Run()
        {
            var method = typeof(MathBox).GetMethod(nameof(MathBox.Twice))!;
            Say("invoke", method.Invoke(new MathBox(), new object[] { 8 }));
            var attributes = method.GetCustomAttributes(typeof(TracedAttribute), false).Length;
            Say("attribute visible", attributes);
        }
    }

    public static class ObsoleteMembers
    {
        [Obsolete]
        [Traced]
        public static int Old() => 1;

        [Obsolete("use New")]
        [Traced]
        public static int OldWithMessage() => 2;

        [Traced]
        public static int New() => 3;

#pragma warning disable CS0612, CS0618 // the caller chose to call obsolete members
        public static void Run()
        {
            Say("obsolete", Old() + OldWithMessage() + New());
        }
#pragma warning restore CS0612, CS0618
    }
}

namespace Behaviour.Services
{
    public sealed class OrderService
    {
        public int Total(int a, int b) => a + b;

        internal int NotPublic() => 1;

        public static string Describe() => "orders";
    }

    public sealed class Helper
    {
        public int NotMatched() => 2;
    }

    public static class NamespaceRule
    {
        public static void Run()
        {
            var s = new OrderService();
            Say("service", s.Total(1, 2) + s.NotPublic());
            Say("static", OrderService.Describe());
            Say("helper", new Helper().NotMatched());
        }
    }
}
