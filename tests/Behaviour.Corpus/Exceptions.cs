using System.Diagnostics.CodeAnalysis;
using System.Runtime.ExceptionServices;

namespace Behaviour;

// Exceptions: through nested traced frames, rethrow, filters and finally blocks (and the order they run in),
// identity, first-chance notifications, deep recursion that throws at the bottom.

public static class NestedThrow
{
    public static readonly InvalidOperationException Thrown = new("from the bottom");

    [Traced]
    public static int Outer(int n) => Middle(n) + 1;

    [Traced]
    public static int Middle(int n) => Inner(n) + 1;

    [Traced]
    public static int Inner(int n) => n < 0 ? throw Thrown : n;

    public static void Run()
    {
        Say("no throw", Outer(1));
        try
        {
            Outer(-1);
        }
        catch (InvalidOperationException ex)
        {
            Say("caught", Describe(ex));
            Say("same object", ReferenceEquals(ex, Thrown));
            Say("data count", ex.Data.Count);
            Say("inner", ex.InnerException is null);
        }
    }
}

public static class Rethrow
{
    [Traced]
    public static void Thrower(string kind) => throw new ArgumentException("bad " + kind, kind);

    [Traced]
    public static void RethrowBare()
    {
        try
        {
            Thrower("bare");
        }
        catch (ArgumentException)
        {
            Say("  inner catch");
            throw;
        }
    }

    [Traced]
    public static void RethrowWrapped()
    {
        try
        {
            Thrower("wrapped");
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException("wrapped", ex);
        }
    }

    [Traced]
    public static void RethrowDispatch()
    {
        ExceptionDispatchInfo? captured = null;
        try
        {
            Thrower("captured");
        }
        catch (ArgumentException ex)
        {
            captured = ExceptionDispatchInfo.Capture(ex);
        }
        captured?.Throw();
    }

    public static void Run()
    {
        Try("bare", () => RethrowBare());
        Try("wrapped", () => RethrowWrapped());
        Try("dispatch", () => RethrowDispatch());
        try
        {
            Thrower("param");
        }
        catch (ArgumentException ex)
        {
            Say("param name", ex.ParamName);
        }
    }
}

public static class FilterOrder
{
    private static readonly List<string> s_order = new();

    private static bool Log(string step, bool result = true)
    {
        s_order.Add(step);
        return result;
    }

    [Traced]
    public static void ThrowWithFinally()
    {
        try
        {
            Log("throw");
            throw new InvalidOperationException("x");
        }
        finally
        {
            Log("inner finally");
        }
    }

    [Traced]
    public static void Middle()
    {
        try
        {
            ThrowWithFinally();
        }
        catch (InvalidOperationException) when (Log("middle filter", false))
        {
            Log("middle catch (never)");
        }
        finally
        {
            Log("middle finally");
        }
    }

    [Traced]
    public static void DisposeOnThrow()
    {
        using var d = new Noisy("resource");
        throw new FormatException("y");
    }

    private sealed class Noisy(string name) : IDisposable
    {
        public void Dispose() => Log("dispose " + name);
    }

    public static void Run()
    {
        try
        {
            ThrowWithFinally();
        }
        catch (InvalidOperationException) when (Log("filter"))
        {
            Log("catch");
        }
        Say("one frame", string.Join(" > ", s_order));
        s_order.Clear();

        try
        {
            Middle();
        }
        catch (InvalidOperationException) when (Log("outer filter"))
        {
            Log("outer catch");
        }
        finally
        {
            Log("outer finally");
        }
        Say("two frames", string.Join(" > ", s_order));
        s_order.Clear();

        try
        {
            DisposeOnThrow();
        }
        catch (FormatException) when (Log("filter"))
        {
            Log("catch");
        }
        Say("using", string.Join(" > ", s_order));
        s_order.Clear();

        try
        {
            try
            {
                ThrowWithFinally();
            }
            catch (InvalidOperationException) when (Log("false filter", false))
            {
            }
        }
        catch (Exception ex) when (Log("true filter " + ex.GetType().Name))
        {
            Log("catch");
        }
        Say("false then true", string.Join(" > ", s_order));
        s_order.Clear();
    }
}

public static class FilterSeesState
{
    private static int s_state;

    [Traced]
    public static void SetThenThrow()
    {
        s_state = 1;
        try
        {
            throw new InvalidOperationException();
        }
        finally
        {
            s_state = 2;
        }
    }

    public static void Run()
    {
        // A filter runs before the finally blocks of the frames below it (two-pass exception handling).
        try
        {
            SetThenThrow();
        }
        catch (InvalidOperationException) when (Record(s_state))
        {
        }
        Say("state seen by filter", s_seen);
        Say("state after", s_state);
    }

    private static int s_seen;

    private static bool Record(int state)
    {
        s_seen = state;
        return true;
    }
}

public static class FirstChance
{
    [Traced]
    public static int Frame(int n) => n == 0 ? throw new InvalidOperationException("bottom") : Frame(n - 1) + 1;

    public static void Run()
    {
        int count = 0;
        EventHandler<FirstChanceExceptionEventArgs> handler = (_, e) =>
        {
            if (e.Exception is InvalidOperationException { Message: "bottom" })
            {
                Interlocked.Increment(ref count);
            }
        };
        AppDomain.CurrentDomain.FirstChanceException += handler;
        try
        {
            Frame(10); // 11 traced frames
        }
        catch (InvalidOperationException)
        {
        }
        finally
        {
            AppDomain.CurrentDomain.FirstChanceException -= handler;
        }
        Say("first-chance notifications for one throw through 11 frames", count);
    }
}

public static class DeepThrow
{
    [Traced]
    public static int Fail(int n) => n == 0 ? throw new InvalidOperationException("at the bottom") : Fail(n - 1) + 1;

    public static void Run()
    {
        string result = "";
        var thread = new Thread(() =>
        {
            try
            {
                result = "returned " + Fail(2000);
            }
            catch (InvalidOperationException ex)
            {
                result = "caught " + ex.Message;
            }
        }, 16 * 1024 * 1024);
        thread.Start();
        thread.Join();
        Say("2000 frames", result);
    }
}

public static class ExceptionTypes
{
    [Traced]
    public static int Divide(int a, int b) => a / b;

    [Traced]
    public static int Index(int[] a, int i) => a[i];

    [Traced]
    public static int Length(string? s) => s!.Length;

    [Traced]
    public static object Cast(object o) => (string)o;

    [Traced]
    public static void Custom(int code) => throw new CodeException(code);

    public sealed class CodeException(int code) : Exception("code " + code)
    {
        public int Code { get; } = code;
    }

    public static void Run()
    {
        Try("divide", () => Divide(1, 0));
        Try("index", () => Index(new int[2], 2));
        Try("null", () => Length(null));
        Try("cast", () => Cast(1));
        try
        {
            Custom(7);
        }
        catch (CodeException ex) when (ex.Code == 7)
        {
            Say("custom", ex.Code);
        }
    }
}

public static class ThrowInStaticConstructor
{
    public static class Fragile
    {
        public static readonly int Value = Init();

        private static int Init() => throw new InvalidOperationException("type init");

        [Traced]
        public static int Get() => Value;
    }

    public static void Run()
    {
        Try("first", () => Fragile.Get());
        Try("second", () => Fragile.Get());
    }
}
