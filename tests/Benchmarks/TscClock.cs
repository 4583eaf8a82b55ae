using System;
using System.Runtime.InteropServices;

namespace OtelGen.Benchmarks;

/// <summary>
/// The processor's time-stamp counter read directly (x64 Linux only): a ten-byte machine-code stub
/// (<c>rdtsc; shl rdx, 32; or rax, rdx; ret</c>) in a page of its own, called through an unmanaged
/// function pointer. Only for the benchmark rows that show what a faster clock than the OS's would change
/// (issue 10's "a third of Activity" goal); the runtime does not use it (see docs/benchmarks.md).
/// </summary>
internal static unsafe class TscClock
{
    private const int ProtRead = 1, ProtWrite = 2, ProtExec = 4, MapPrivate = 2, MapAnonymous = 0x20;
    private static readonly delegate* unmanaged[SuppressGCTransition]<ulong> s_read = Create();

    /// <summary>True on x64 Linux once the stub is in place.</summary>
    public static bool IsAvailable => s_read != null;

    /// <summary>The counter (unscaled ticks).</summary>
    public static ulong Read() => s_read();

    /// <summary>Fails the benchmark instead of measuring something else where the stub cannot run.</summary>
    public static void Require()
    {
        if (!IsAvailable)
        {
            throw new PlatformNotSupportedException("The time-stamp counter rows need x64 Linux.");
        }
    }

    private static delegate* unmanaged[SuppressGCTransition]<ulong> Create()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            return null;
        }
        ReadOnlySpan<byte> code = [0x0F, 0x31, 0x48, 0xC1, 0xE2, 0x20, 0x48, 0x09, 0xD0, 0xC3];
        void* page = mmap(null, 4096, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (page == (void*)-1)
        {
            return null;
        }
        code.CopyTo(new Span<byte>(page, code.Length));
        // Writable, then executable, never both.
        if (mprotect(page, 4096, ProtRead | ProtExec) != 0)
        {
            return null;
        }
        return (delegate* unmanaged[SuppressGCTransition]<ulong>)page;
    }

    [DllImport("libc")]
    private static extern void* mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);

    [DllImport("libc")]
    private static extern int mprotect(void* address, nuint length, int protection);
}
