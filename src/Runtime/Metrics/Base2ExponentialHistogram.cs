using System;

namespace OtelGen.Metrics;

/// <summary>
/// A base-2 exponential histogram (the OpenTelemetry <c>ExponentialHistogram</c> model) with bounded
/// memory: at most <see cref="MaxBuckets"/> buckets per sign. Bucket <c>i</c> at scale <c>s</c> holds values
/// in <c>(base^i, base^(i+1)]</c> with <c>base = 2^(2^-s)</c>. It starts at a fine scale and halves its
/// resolution (scale − 1, merging bucket pairs) whenever a value would need more buckets than allowed, so
/// it adapts to the data's range with no configuration.
/// <para>
/// Percentiles are the geometric midpoint of the bucket holding the nearest-rank value, so their
/// relative error is at most <see cref="RelativeError"/> = <c>2^(2^-(s+1)) − 1</c>: 1.1 % at scale 5,
/// 2.2 % at scale 4, 4.4 % at scale 3. With 160 buckets, data spanning a factor of 2^20 (1 µs to 1 s) keeps
/// scale 3; a factor of 2^10 (1 ms to 1 s) keeps scale 4.
/// </para>
/// Not thread-safe: callers serialize <see cref="Record"/> (the metrics collector does, per series).
/// </summary>
public sealed class Base2ExponentialHistogram
{
    /// <summary>The default and OpenTelemetry SDK bucket limit.</summary>
    public const int DefaultMaxBuckets = 160;
    /// <summary>The finest scale used (the OpenTelemetry SDK default).</summary>
    public const int DefaultMaxScale = 20;
    /// <summary>The coarsest scale: base 2^1024 covers every double.</summary>
    public const int MinScale = -10;

    private readonly Buckets _positive;
    private readonly Buckets _negative;

    /// <summary>Makes an empty histogram.</summary>
    /// <param name="maxBuckets">Buckets per sign, 2 or more (default 160).</param>
    /// <param name="maxScale">The starting, finest scale, −10 to 20.</param>
    public Base2ExponentialHistogram(int maxBuckets = DefaultMaxBuckets, int maxScale = DefaultMaxScale)
    {
        if (maxBuckets < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(maxBuckets), maxBuckets, "At least 2 buckets.");
        }
        if (maxScale < MinScale || maxScale > 20)
        {
            throw new ArgumentOutOfRangeException(nameof(maxScale), maxScale, "Scale between -10 and 20.");
        }
        MaxBuckets = maxBuckets;
        Scale = maxScale;
        _positive = new Buckets(maxBuckets);
        _negative = new Buckets(maxBuckets);
        Min = double.PositiveInfinity;
        Max = double.NegativeInfinity;
    }

    /// <summary>The bucket limit per sign.</summary>
    public int MaxBuckets { get; }
    /// <summary>The current scale.</summary>
    public int Scale { get; private set; }
    /// <summary>How many values were recorded (NaN and infinities are ignored).</summary>
    public long Count { get; private set; }
    /// <summary>How many were exactly zero.</summary>
    public long ZeroCount { get; private set; }
    /// <summary>The sum of the values.</summary>
    public double Sum { get; private set; }
    /// <summary>The smallest value, +∞ when empty.</summary>
    public double Min { get; private set; }
    /// <summary>The largest value, −∞ when empty.</summary>
    public double Max { get; private set; }

    /// <summary>The largest relative error of <see cref="Quantile"/> at the current scale.</summary>
    public double RelativeError => Math.Pow(2, Math.Pow(2, -(Scale + 1))) - 1;

    /// <summary>Records one value.</summary>
    public void Record(double value)
    {
        if (!double.IsFinite(value))
        {
            return;
        }
        Count++;
        Sum += value;
        if (value < Min)
        {
            Min = value;
        }
        if (value > Max)
        {
            Max = value;
        }
        if (value == 0)
        {
            ZeroCount++;
            return;
        }
        Buckets buckets = value > 0 ? _positive : _negative;
        int index = MapToIndex(Math.Abs(value), Scale);
        if (!buckets.TryIncrement(index, 1))
        {
            int change = buckets.ChangeToFit(index);
            Downscale(change);
            buckets.TryIncrement(index >> change, 1);
        }
    }

    /// <summary>
    /// The nearest-rank <paramref name="quantile"/> (0 to 1): exact at 0 and 1 (the min and max), else the
    /// geometric midpoint of the bucket holding that rank, clamped to [min, max]. NaN when empty.
    /// </summary>
    public double Quantile(double quantile)
    {
        if (Count == 0 || double.IsNaN(quantile))
        {
            return double.NaN;
        }
        long rank = Math.Clamp((long)Math.Ceiling(quantile * Count), 1, Count);
        if (rank == 1 && quantile <= 0)
        {
            return Min;
        }
        if (rank == Count)
        {
            return Max;
        }
        long seen = 0;
        // Ascending value order: the negative buckets from the largest magnitude, zero, then positive.
        for (int i = _negative.MaxIndex; i >= _negative.MinIndex && !_negative.IsEmpty; i--)
        {
            seen += _negative.At(i);
            if (seen >= rank)
            {
                return Math.Clamp(-Midpoint(i), Min, Max);
            }
        }
        seen += ZeroCount;
        if (seen >= rank)
        {
            return 0;
        }
        for (int i = _positive.MinIndex; i <= _positive.MaxIndex && !_positive.IsEmpty; i++)
        {
            seen += _positive.At(i);
            if (seen >= rank)
            {
                return Math.Clamp(Midpoint(i), Min, Max);
            }
        }
        return Max;
    }

    /// <summary>The lower boundary of bucket <paramref name="index"/> at the current scale (the upper is that of index + 1).</summary>
    public double LowerBoundary(int index) => LowerBoundary(index, Scale);

    /// <summary>The lower boundary of bucket <paramref name="index"/> at <paramref name="scale"/>: <c>2^(index·2^-scale)</c>.</summary>
    public static double LowerBoundary(int index, int scale) =>
        scale >= 0 ? Math.Pow(2, index / (double)(1L << scale)) : Math.Pow(2, index * (double)(1L << -scale));

    /// <summary>The index of the offset bucket and the counts of the positive (or negative) range; empty when none.</summary>
    public long[] GetBucketCounts(bool positive, out int offset)
    {
        Buckets b = positive ? _positive : _negative;
        if (b.IsEmpty)
        {
            offset = 0;
            return Array.Empty<long>();
        }
        offset = b.MinIndex;
        var counts = new long[b.MaxIndex - b.MinIndex + 1];
        for (int i = 0; i < counts.Length; i++)
        {
            counts[i] = b.At(b.MinIndex + i);
        }
        return counts;
    }

    /// <summary>Copies this histogram's state into <paramref name="target"/> (same bucket limit).</summary>
    public void CopyTo(Base2ExponentialHistogram target)
    {
        if (target.MaxBuckets != MaxBuckets)
        {
            throw new ArgumentException("Histograms differ in bucket limit.", nameof(target));
        }
        target.Scale = Scale;
        target.Count = Count;
        target.ZeroCount = ZeroCount;
        target.Sum = Sum;
        target.Min = Min;
        target.Max = Max;
        _positive.CopyTo(target._positive);
        _negative.CopyTo(target._negative);
    }

    /// <summary>A copy.</summary>
    public Base2ExponentialHistogram Clone()
    {
        var copy = new Base2ExponentialHistogram(MaxBuckets, Scale);
        CopyTo(copy);
        return copy;
    }

    /// <summary>The bucket index of a positive finite <paramref name="value"/> at <paramref name="scale"/>.</summary>
    public static int MapToIndex(double value, int scale)
    {
        long bits = BitConverter.DoubleToInt64Bits(value);
        int exponent = (int)((bits >> 52) & 0x7FF) - 1023;
        long mantissa = bits & 0xF_FFFF_FFFF_FFFFL;
        if (exponent == -1023)
        {
            // Subnormal: far below anything measured; put it with the smallest normal.
            exponent = -1022;
            mantissa = 0;
        }
        if (scale <= 0)
        {
            // An exact power of two is the upper (inclusive) bound of the bucket below.
            int e = mantissa == 0 ? exponent - 1 : exponent;
            return e >> -scale;
        }
        if (mantissa == 0)
        {
            return (exponent << scale) - 1;
        }
        int index = (int)Math.Ceiling(Math.Log2(value) * (1 << scale)) - 1;
        // Guard against rounding of the logarithm across a power-of-two edge.
        int low = exponent << scale, high = ((exponent + 1) << scale) - 1;
        return Math.Clamp(index, low, high);
    }

    private double Midpoint(int index)
    {
        double lower = LowerBoundary(index);
        double upper = LowerBoundary(index + 1);
        return Math.Sqrt(lower * upper);
    }

    private void Downscale(int change)
    {
        if (change <= 0)
        {
            return;
        }
        _positive.Downscale(change);
        _negative.Downscale(change);
        Scale -= change;
    }

    /// <summary>A window of at most N consecutive bucket counts, moved and merged as values arrive.</summary>
    private sealed class Buckets
    {
        private readonly int _size;
        private long[]? _counts;
        private int _offset; // bucket index of _counts[0]

        public Buckets(int size)
        {
            _size = size;
            MinIndex = int.MaxValue;
            MaxIndex = int.MinValue;
        }

        public int MinIndex { get; private set; }
        public int MaxIndex { get; private set; }
        public bool IsEmpty => MinIndex > MaxIndex;

        public long At(int index) => _counts![index - _offset];

        public bool TryIncrement(int index, long count)
        {
            if (IsEmpty)
            {
                _counts ??= new long[_size];
                _offset = index;
                MinIndex = MaxIndex = index;
                _counts[0] += count;
                return true;
            }
            int newMin = Math.Min(MinIndex, index), newMax = Math.Max(MaxIndex, index);
            if ((long)newMax - newMin + 1 > _size)
            {
                return false;
            }
            if (index < _offset || index >= _offset + _size)
            {
                // Slide the window so the used range starts at its left edge, or ends at its right edge.
                int target = index < _offset ? newMin : newMax - _size + 1;
                Move(target);
            }
            _counts![index - _offset] += count;
            MinIndex = newMin;
            MaxIndex = newMax;
            return true;
        }

        /// <summary>How many halvings make the used range plus <paramref name="index"/> fit.</summary>
        public int ChangeToFit(int index)
        {
            long low = Math.Min(MinIndex, index), high = Math.Max(MaxIndex, index);
            int change = 0;
            while ((high >> change) - (low >> change) + 1 > _size)
            {
                change++;
            }
            return change;
        }

        public void Downscale(int change)
        {
            if (IsEmpty)
            {
                return;
            }
            var merged = new long[_size];
            int newMin = MinIndex >> change;
            for (int i = MinIndex; i <= MaxIndex; i++)
            {
                merged[(i >> change) - newMin] += _counts![i - _offset];
            }
            _counts = merged;
            _offset = newMin;
            MinIndex = newMin;
            MaxIndex >>= change;
        }

        public void CopyTo(Buckets target)
        {
            target.MinIndex = MinIndex;
            target.MaxIndex = MaxIndex;
            target._offset = _offset;
            if (_counts is null)
            {
                if (target._counts is not null)
                {
                    Array.Clear(target._counts);
                }
                return;
            }
            target._counts ??= new long[_size];
            Array.Copy(_counts, target._counts, _size);
        }

        private void Move(int newOffset)
        {
            var counts = _counts!;
            int shift = _offset - newOffset; // > 0: data moves right
            int from = MinIndex - _offset, length = MaxIndex - MinIndex + 1;
            Array.Copy(counts, from, counts, from + shift, length);
            if (shift > 0)
            {
                Array.Clear(counts, from, Math.Min(shift, length));
            }
            else
            {
                int clearFrom = Math.Max(from + shift + length, from);
                Array.Clear(counts, clearFrom, from + length - clearFrom);
            }
            _offset = newOffset;
        }
    }
}
