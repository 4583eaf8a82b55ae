using System.Diagnostics;
using System.Threading;

namespace OtelGen.Activities;

/// <summary>
/// Stopped Activities waiting to be copied into the span ring: a bounded, lock-free queue that any thread may add
/// to and any thread may take from (Vyukov's bounded MPMC queue: one sequence number per slot says whose turn it
/// is). Adding is what a recorded Activity costs its own thread; the copy happens later, off that thread.
/// </summary>
internal sealed class PendingActivities
{
    private readonly Activity?[] _items;
    private readonly long[] _turns;
    private readonly int _mask;
    private long _tail;
    private long _head;

    internal PendingActivities(int capacity)
    {
        int size = 2;
        while (size < capacity)
        {
            size <<= 1;
        }
        _items = new Activity?[size];
        _turns = new long[size];
        _mask = size - 1;
        for (int i = 0; i < size; i++)
        {
            _turns[i] = i;
        }
    }

    internal int Capacity => _items.Length;

    /// <summary>How many wait (a moment's estimate while others add and take).</summary>
    internal long Count => Volatile.Read(ref _tail) - Volatile.Read(ref _head);

    /// <summary>Adds <paramref name="activity"/>; false when full. <paramref name="position"/> is its place in line.</summary>
    internal bool TryAdd(Activity activity, out long position)
    {
        long tail = Volatile.Read(ref _tail);
        while (true)
        {
            int slot = (int)(tail & _mask);
            long turn = Volatile.Read(ref _turns[slot]);
            if (turn == tail)
            {
                if (Interlocked.CompareExchange(ref _tail, tail + 1, tail) == tail)
                {
                    _items[slot] = activity;
                    Volatile.Write(ref _turns[slot], tail + 1);
                    position = tail;
                    return true;
                }
                tail = Volatile.Read(ref _tail);
            }
            else if (turn < tail)
            {
                // The slot still holds the Activity of the previous lap: full.
                position = tail;
                return false;
            }
            else
            {
                tail = Volatile.Read(ref _tail);
            }
        }
    }

    /// <summary>Takes the oldest waiting Activity, or returns false when none waits.</summary>
    internal bool TryTake(out Activity? activity)
    {
        long head = Volatile.Read(ref _head);
        while (true)
        {
            int slot = (int)(head & _mask);
            long turn = Volatile.Read(ref _turns[slot]);
            if (turn == head + 1)
            {
                if (Interlocked.CompareExchange(ref _head, head + 1, head) == head)
                {
                    activity = _items[slot];
                    _items[slot] = null;
                    Volatile.Write(ref _turns[slot], head + _mask + 1);
                    return true;
                }
                head = Volatile.Read(ref _head);
            }
            else if (turn < head + 1)
            {
                activity = null;
                return false;
            }
            else
            {
                head = Volatile.Read(ref _head);
            }
        }
    }
}
