using System.Text;

namespace Behaviour;

// Synchronous methods: values, void, static classes, private members, nested types, recursion.

public sealed class SyncReturns
{
    private readonly StringBuilder _log = new();

    [Traced]
    public int Add(int a, int b) => a + b;

    [Traced]
    public void Note(string text) => _log.Append(text).Append(';');

    [Traced]
    public string Concat(string a, string? b) => a + (b ?? "<null>");

    [Traced]
    public static double Half(double x) => x / 2;

    [Traced]
    public bool IsEven(long n) => n % 2 == 0;

    [Traced]
    public int? MaybeLength(string? s) => s?.Length;

    [Traced]
    public object Boxed(int x) => x;

    public static void Run()
    {
        var r = new SyncReturns();
        Say("add", r.Add(2, 40));
        r.Note("one");
        r.Note("two");
        Say("log", r._log.ToString());
        Say("concat", r.Concat("a", null));
        Say("half", Half(5));
        Say("half of -0", 1 / Half(-0.0));
        Say("even", r.IsEven(long.MinValue));
        Say("maybe null", r.MaybeLength(null));
        Say("maybe", r.MaybeLength("abc"));
        Say("boxed type", r.Boxed(7).GetType().Name);
        int x = 0;
        for (int i = 0; i < 5; i++)
        {
            x = r.Add(x, i);
        }
        Say("loop", x);
    }
}

public static class StaticHelpers
{
    private static int s_calls;

    [Traced]
    public static int Square(int x)
    {
        s_calls++;
        return x * x;
    }

    [Traced]
    private static int Cube(int x)
    {
        s_calls++;
        return x * Square(x);
    }

    [Traced]
    internal static string Upper(string s) => s.ToUpperInvariant();

    public static int UseCube(int x) => Cube(x);

    public static void Run()
    {
        Say("square", Square(12));
        Say("cube", UseCube(3));
        Say("upper", Upper("abc"));
        Say("calls", s_calls);
    }
}

public class PrivateMembers
{
    private int _total;

    [Traced]
    private int AddPrivate(int x) => _total += x;

    [Traced]
    protected int AddProtected(int x) => _total += 10 * x;

    [Traced]
    private static string Tag(int x) => "#" + x;

    [Traced]
    private protected void Reset() => _total = 0;

    public static void Run()
    {
        var p = new PrivateMembers();
        Say("private", p.AddPrivate(1));
        Say("protected", p.AddProtected(2));
        Say("static private", Tag(p._total));
        p.Reset();
        Say("after reset", p._total);
        var d = new DerivedPrivateMembers();
        Say("protected from derived", d.Twice());
    }
}

public sealed class DerivedPrivateMembers : PrivateMembers
{
    public int Twice() => AddProtected(1) + AddProtected(1);
}

public static class NestedTypes
{
    public static class Level1
    {
        public sealed class Level2
        {
            [Traced]
            public string Where() => nameof(Level2);

            public struct Level3
            {
                public int Value;

                [Traced]
                public int Next() => ++Value;
            }
        }

        [Traced]
        public static int Deep(int x) => x + 1;
    }

    internal sealed class InternalNested
    {
        [Traced]
        internal int Twice(int x) => 2 * x;
    }

    public static void Run()
    {
        Say("level2", new Level1.Level2().Where());
        var l3 = new Level1.Level2.Level3();
        l3.Next();
        Say("level3", l3.Next());
        Say("level3 value", l3.Value);
        Say("deep", Level1.Deep(1));
        Say("internal", new InternalNested().Twice(21));
    }
}

public static class Recursion
{
    [Traced]
    public static long Factorial(int n) => n <= 1 ? 1 : n * Factorial(n - 1);

    [Traced]
    public static int Fib(int n) => n < 2 ? n : Fib(n - 1) + Fib(n - 2);

    [Traced]
    public static bool IsEven(int n) => n == 0 || IsOdd(n - 1);

    [Traced]
    public static bool IsOdd(int n) => n != 0 && IsEven(n - 1);

    public static void Run()
    {
        Say("factorial 20", Factorial(20));
        Try("factorial 21 (checked)", () => Factorial(21));
        Say("fib 10", Fib(10));
        Say("even 7", IsEven(7));
        Say("odd 7", IsOdd(7));
    }
}

public static class Overloads
{
    [Traced]
    public static string Pick(int x) => "int " + x;

    [Traced]
    public static string Pick(long x) => "long " + x;

    [Traced]
    public static string Pick(object? x) => "object " + Show(x);

    [Traced]
    public static string Pick(string x) => "string " + x;

    [Traced]
    public static string Pick(int x, int y = 5) => "int,int " + (x + y);

    public static void Run()
    {
        Say(Pick(1));
        Say(Pick(1L));
        Say(Pick((short)2));
        Say(Pick("s"));
        Say(Pick((object)"o"));
        Say(Pick(3.5));
        Say(Pick(1, 2));
    }
}

public static class CheckedArithmetic
{
    [Traced]
    public static int AddChecked(int a, int b) => a + b;

    [Traced]
    public static int AddUnchecked(int a, int b) => unchecked(a + b);

    [Traced]
    public static byte Narrow(int x) => (byte)x;

    public static void Run()
    {
        Try("checked add", () => AddChecked(int.MaxValue, 1));
        Say("unchecked add", AddUnchecked(int.MaxValue, 1));
        Try("narrow 255", () => Narrow(255));
        Try("narrow 256", () => Narrow(256));
    }
}

public static class StackallocAndUnsafe
{
    [Traced]
    public static int SumStackalloc(int n)
    {
        Span<int> buffer = stackalloc int[n];
        for (int i = 0; i < n; i++)
        {
            buffer[i] = i;
        }
        int sum = 0;
        foreach (int v in buffer)
        {
            sum += v;
        }
        return sum;
    }

    [Traced]
    public static unsafe int Fixed(int[] values)
    {
        fixed (int* p = values)
        {
            return p[0] + p[values.Length - 1];
        }
    }

    public static void Run()
    {
        Say("stackalloc", SumStackalloc(100));
        Say("fixed", Fixed(new[] { 3, 4, 5 }));
    }
}

public static class Locks
{
    private static readonly object s_gate = new();
    private static readonly Lock s_lock = new();
    private static int s_counter;

    [Traced]
    public static bool InsideLock()
    {
        lock (s_gate)
        {
            s_counter++;
            return Monitor.IsEntered(s_gate);
        }
    }

    [Traced]
    public static bool HeldByCaller() => Monitor.IsEntered(s_gate);

    [Traced]
    public static bool NewLock()
    {
        lock (s_lock)
        {
            return s_lock.IsHeldByCurrentThread;
        }
    }

    public static void Run()
    {
        Say("inside", InsideLock());
        Say("after", Monitor.IsEntered(s_gate));
        lock (s_gate)
        {
            Say("held by caller", HeldByCaller());
        }
        Say("new lock", NewLock());
        var threads = new Thread[4];
        for (int t = 0; t < threads.Length; t++)
        {
            threads[t] = new Thread(() =>
            {
                for (int i = 0; i < 1000; i++)
                {
                    InsideLock();
                }
            });
            threads[t].Start();
        }
        foreach (Thread t in threads)
        {
            t.Join();
        }
        Say("counter", s_counter);
    }
}

public static class ThreadIdentity
{
    [Traced]
    public static int CurrentThread() => Environment.CurrentManagedThreadId;

    [Traced]
    public static string? CallerName([System.Runtime.CompilerServices.CallerMemberName] string? member = null) => member;

    [Traced]
    public static int CallerLine([System.Runtime.CompilerServices.CallerLineNumber] int line = 0) => line;

    [Traced]
    public static string? CallerFile([System.Runtime.CompilerServices.CallerFilePath] string? file = null) => System.IO.Path.GetFileName(file);

    [Traced]
    public static string? Expression(int value, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string? text = null) => text + " = " + value;

    public static void Run()
    {
        Say("same thread", CurrentThread() == Environment.CurrentManagedThreadId);
        Say("caller member", CallerName());
        Say("caller line", CallerLine());
        Say("caller file", CallerFile());
        Say("argument expression", Expression(1 + 2 * 3));
    }
}
