namespace Behaviour;

// Struct receivers: mutation through locals, fields, array elements, ref locals, readonly structs, record
// structs, defensive copies (readonly fields, in parameters, rvalues).

public struct MutableStruct
{
    public int Value;

    [Traced]
    public int Increment() => ++Value;

    [Traced]
    public readonly int Peek() => Value;

    [Traced]
    public void Add(int amount) => Value += amount;

    [Traced]
    public static MutableStruct Create(int value) => new() { Value = value };

    [Traced]
    public override readonly string ToString() => "MutableStruct(" + Value + ")";
}

public readonly struct ReadonlyPoint(int x, int y)
{
    public int X { get; } = x;
    public int Y { get; } = y;

    [Traced]
    public int Manhattan() => Math.Abs(X) + Math.Abs(Y);

    [Traced]
    public ReadonlyPoint Move(int dx) => new(X + dx, Y);
}

public record struct RecordCounter(int Count)
{
    [Traced]
    public void Bump() => Count++;

    [Traced]
    public readonly RecordCounter Bumped() => this with { Count = Count + 1 };
}

public sealed class StructHolder
{
    public MutableStruct Field;
    public readonly MutableStruct ReadonlyField = new() { Value = 100 };
    public MutableStruct Property { get; set; }
    public MutableStruct[] Array = new MutableStruct[2];
}

public static class StructReceivers
{
    private static MutableStruct s_static;

    public static void Run()
    {
        var local = new MutableStruct();
        local.Increment();
        local.Increment();
        Say("local", local.Value);
        local.Add(10);
        Say("add", local.Peek());

        var holder = new StructHolder();
        holder.Field.Increment();
        Say("field", holder.Field.Value);
        holder.Array[1].Increment();
        holder.Array[1].Increment();
        Say("array element", holder.Array[1].Value);
        ref MutableStruct r = ref holder.Array[0];
        r.Add(5);
        Say("ref local", holder.Array[0].Value);
        s_static.Increment();
        Say("static field", s_static.Value);
        Say("created", MutableStruct.Create(3).Increment());
        Say("to string", local.ToString());
        Say("interpolated", $"{local}");

        var point = new ReadonlyPoint(-3, 4);
        Say("manhattan", point.Manhattan());
        Say("move", point.Move(10).X);

        var rc = new RecordCounter(1);
        rc.Bump();
        Say("record struct", rc.Count);
        Say("record struct with", rc.Bumped());
        Say("record struct original", rc);

        // Defensive copies: mutations of a copy are lost, in both builds.
        Say("readonly field peek", holder.ReadonlyField.Peek());
        Say("property increment (a copy)", holder.Property.Increment());
        Say("property after", holder.Property.Value);
        Say("in parameter", ViaIn(in local));
        Say("after in", local.Value);
        Say("rvalue", new MutableStruct { Value = 41 }.Increment());
        var tuple = (new MutableStruct(), 1);
        tuple.Item1.Increment();
        Say("tuple element", tuple.Item1.Value);
    }

    private static int ViaIn(in MutableStruct s) => s.Peek();
}

public static class ReadonlyFieldCopies
{
    public static void Run()
    {
        var holder = new StructHolder();
        Say("readonly field increment (a copy)", holder.ReadonlyField.Increment());
        Say("readonly field after", holder.ReadonlyField.Value);
        var s = new MutableStruct { Value = 7 };
        Say("in parameter increment (a copy)", IncrementIn(in s));
        Say("caller's value", s.Value);
    }

    private static int IncrementIn(in MutableStruct s) => s.Increment();
}

public static class StructCopies
{
    [Traced]
    public static int MutateCopy(MutableStruct s)
    {
        s.Value = 99;
        return s.Value;
    }

    [Traced]
    public static MutableStruct Return(MutableStruct s) => s;

    public struct Large
    {
        public long A, B, C, D, E, F, G, H;
    }

    [Traced]
    public static long SumLarge(Large l) => l.A + l.B + l.C + l.D + l.E + l.F + l.G + l.H;

    [Traced]
    public static Large MakeLarge(long seed) => new() { A = seed, H = seed * 2 };

    public static void Run()
    {
        var s = new MutableStruct { Value = 1 };
        Say("copy mutated", MutateCopy(s));
        Say("original", s.Value);
        MutableStruct returned = Return(s);
        returned.Value = 5;
        Say("returned copy", s.Value);
        Say("large", SumLarge(MakeLarge(3)));
    }
}
