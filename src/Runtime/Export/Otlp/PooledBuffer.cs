using System;
using System.Buffers;

namespace OtelGen.Export.Otlp;

/// <summary>
/// A growable byte buffer rented from <see cref="ArrayPool{T}"/>. The exporter keeps one per encoder and
/// clears it between batches, so encoding allocates nothing once it has grown to the batch size.
/// </summary>
internal sealed class PooledBuffer : IBufferWriter<byte>, IDisposable
{
    // Internal so that the wire writers reach them without a call per byte.
    internal byte[] _buffer;
    internal int _length;

    /// <summary>Rents a buffer of at least <paramref name="initialCapacity"/> bytes.</summary>
    public PooledBuffer(int initialCapacity = 16 * 1024)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(256, initialCapacity));
    }

    /// <summary>Bytes written so far.</summary>
    public int Length => _length;

    /// <summary>The underlying array (valid until the next write that grows it).</summary>
    public byte[] Array => _buffer;

    /// <summary>The bytes written so far.</summary>
    public ReadOnlySpan<byte> WrittenSpan => new(_buffer, 0, _length);

    /// <summary>The bytes written so far.</summary>
    public ReadOnlyMemory<byte> WrittenMemory => new(_buffer, 0, _length);

    /// <summary>Forgets the contents, keeping the array.</summary>
    public void Clear() => _length = 0;

    /// <inheritdoc/>
    public void Advance(int count)
    {
        if ((uint)count > (uint)(_buffer.Length - _length))
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }
        _length += count;
    }

    /// <inheritdoc/>
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(Math.Max(1, sizeHint));
        return _buffer.AsMemory(_length);
    }

    /// <inheritdoc/>
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(Math.Max(1, sizeHint));
        return _buffer.AsSpan(_length);
    }

    /// <summary>Appends bytes.</summary>
    public void Write(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    /// <summary>Makes room for <paramref name="extra"/> more bytes after the written ones.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void Ensure(int extra)
    {
        if (_buffer.Length - _length < extra)
        {
            Grow(extra);
        }
    }

    private void Grow(int extra)
    {
        long wanted = Math.Max((long)_buffer.Length * 2, (long)_length + extra);
        byte[] bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(wanted, System.Array.MaxLength));
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }

    /// <summary>Sets the written length directly (for writers that patch bytes in place).</summary>
    internal void SetLength(int length) => _length = length;

    /// <summary>Returns the array to the pool.</summary>
    public void Dispose()
    {
        byte[] buffer = _buffer;
        _buffer = System.Array.Empty<byte>();
        _length = 0;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
