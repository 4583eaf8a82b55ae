using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Threading;
using OtelGen.Configuration;
using OtelGen.Export.Otlp;

namespace OtelGen.Export;

/// <summary>
/// A bounded directory of encoded batches kept while the collector is down, replayed oldest first when
/// it answers again. Each file is one request with a small header (magic, protocol, span count, length,
/// CRC-32), written to a temporary name and renamed, so a crash leaves no half file under a real name.
/// A file that fails its checks is reported once and deleted, never replayed. One exporter per directory.
/// </summary>
internal sealed class ExportSpool
{
    private const string Extension = ".otlpbatch";
    private const int HeaderSize = 8 + 1 + 1 + 4 + 4 + 4;
    private static readonly byte[] s_magic = "OTELGEN1"u8.ToArray();
    private static long s_sequence;

    private readonly string _directory;
    private readonly long _maxBytes;
    private readonly OtlpProtocol _protocol;
    private bool _warnedWrite;

    public ExportSpool(string directory, long maxBytes, OtlpProtocol protocol)
    {
        _directory = Path.GetFullPath(directory);
        _maxBytes = Math.Max(HeaderSize + 1, maxBytes);
        _protocol = protocol;
    }

    public string Directory => _directory;

    /// <summary>True when there are batches waiting.</summary>
    public bool HasBatches
    {
        get
        {
            try
            {
                return System.IO.Directory.Exists(_directory) && System.IO.Directory.EnumerateFiles(_directory, "*" + Extension).GetEnumerator().MoveNext();
            }
            catch (Exception)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// Saves a batch. Returns false (the batch is lost) when it cannot be written or is larger than the cap;
    /// <paramref name="evictedSpans"/> counts spans of older batches deleted to stay under the cap.
    /// </summary>
    public bool TrySave(ReadOnlySpan<byte> body, int spanCount, out long evictedSpans)
    {
        evictedSpans = 0;
        long size = HeaderSize + body.Length;
        if (size > _maxBytes)
        {
            return false;
        }
        try
        {
            System.IO.Directory.CreateDirectory(_directory);
            evictedSpans = MakeRoom(size);
            string name = string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow.Ticks:D19}-{Environment.ProcessId}-{Interlocked.Increment(ref s_sequence):D8}");
            string temporary = Path.Combine(_directory, name + ".tmp");
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                Span<byte> header = stackalloc byte[HeaderSize];
                s_magic.CopyTo(header);
                header[8] = 1;
                header[9] = (byte)_protocol;
                BinaryPrimitives.WriteInt32LittleEndian(header.Slice(10), spanCount);
                BinaryPrimitives.WriteInt32LittleEndian(header.Slice(14), body.Length);
                BinaryPrimitives.WriteUInt32LittleEndian(header.Slice(18), Crc32.Compute(body));
                file.Write(header);
                file.Write(body);
            }
            File.Move(temporary, Path.Combine(_directory, name + Extension));
            _warnedWrite = false;
            return true;
        }
        catch (Exception e)
        {
            if (!_warnedWrite)
            {
                _warnedWrite = true;
                Diagnostics.Warn($"cannot write to the spool directory '{_directory}': {e.Message}");
            }
            return false;
        }
    }

    /// <summary>The spooled batch files, oldest first.</summary>
    public List<string> Files()
    {
        var files = new List<string>();
        try
        {
            if (System.IO.Directory.Exists(_directory))
            {
                files.AddRange(System.IO.Directory.GetFiles(_directory, "*" + Extension));
                files.Sort(StringComparer.Ordinal);
            }
        }
        catch (Exception)
        {
            // An unreadable directory is the same as an empty one; writing reports the problem.
        }
        return files;
    }

    /// <summary>
    /// Reads a batch; false when the file is corrupt (reported once, then deleted) or gone.
    /// </summary>
    public bool TryLoad(string path, PooledBuffer body, out int spanCount)
    {
        spanCount = 0;
        string? problem;
        try
        {
            byte[] bytes = File.ReadAllBytes(path);
            problem = Check(bytes, out spanCount);
            if (problem is null)
            {
                body.Clear();
                body.Write(bytes.AsSpan(HeaderSize));
                return true;
            }
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        catch (Exception e)
        {
            problem = e.Message;
        }
        Diagnostics.Warn($"skipping corrupt spool file '{Path.GetFileName(path)}' in '{_directory}': {problem}. It is deleted.");
        Delete(path);
        return false;
    }

    public static void Delete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception)
        {
            // Already gone or not ours to delete: nothing else to do.
        }
    }

    private string? Check(byte[] bytes, out int spanCount)
    {
        spanCount = 0;
        if (bytes.Length < HeaderSize || !bytes.AsSpan(0, 8).SequenceEqual(s_magic))
        {
            return "not an OtelGen spool file";
        }
        if (bytes[8] != 1)
        {
            return "unknown spool format version " + bytes[8].ToString(CultureInfo.InvariantCulture);
        }
        if (bytes[9] != (byte)_protocol)
        {
            return "written for another OTLP protocol";
        }
        spanCount = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(10));
        int length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(14));
        if (spanCount < 0 || length != bytes.Length - HeaderSize)
        {
            return "truncated";
        }
        if (Crc32.Compute(bytes.AsSpan(HeaderSize)) != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(18)))
        {
            return "checksum mismatch";
        }
        return null;
    }

    private long MakeRoom(long incoming)
    {
        List<string> files = Files();
        long total = incoming;
        var sizes = new long[files.Count];
        for (int i = 0; i < files.Count; i++)
        {
            try
            {
                sizes[i] = new FileInfo(files[i]).Length;
            }
            catch (Exception)
            {
                sizes[i] = 0;
            }
            total += sizes[i];
        }
        long evicted = 0;
        for (int i = 0; i < files.Count && total > _maxBytes; i++)
        {
            evicted += SpanCountOf(files[i]);
            Delete(files[i]);
            total -= sizes[i];
        }
        return evicted;
    }

    private static int SpanCountOf(string path)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            Span<byte> header = stackalloc byte[HeaderSize];
            return file.Read(header) == HeaderSize && header.Slice(0, 8).SequenceEqual(s_magic)
                ? Math.Max(0, BinaryPrimitives.ReadInt32LittleEndian(header.Slice(10)))
                : 0;
        }
        catch (Exception)
        {
            return 0;
        }
    }
}

/// <summary>CRC-32 (IEEE 802.3), for spool file integrity.</summary>
internal static class Crc32
{
    private static readonly uint[] s_table = MakeTable();

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc = s_table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }
        return ~crc;
    }

    private static uint[] MakeTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            }
            table[i] = c;
        }
        return table;
    }
}
