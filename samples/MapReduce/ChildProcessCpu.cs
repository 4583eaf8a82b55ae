using System;
using System.Runtime.InteropServices;

namespace OtelGen.Samples.MapReduce;

/// <summary>
/// CPU time (user + system) of this process's finished, reaped children, from <c>getrusage(RUSAGE_CHILDREN)</c>:
/// the whole of each agent's life, its start-up and its exit flush included (which an agent cannot
/// report about itself). NaN where unavailable (not Linux).
/// </summary>
public static class ChildProcessCpu
{
    private const int RusageChildren = -1;

    [DllImport("libc", EntryPoint = "getrusage")]
    private static extern int GetRusage(int who, [Out] long[] usage);

    /// <summary>Milliseconds of CPU used by the children that have exited so far.</summary>
    public static double Milliseconds()
    {
        if (!OperatingSystem.IsLinux())
        {
            return double.NaN;
        }
        try
        {
            // struct rusage on 64-bit Linux: ru_utime {sec, usec}, ru_stime {sec, usec}, 14 longs more.
            var usage = new long[18];
            if (GetRusage(RusageChildren, usage) != 0)
            {
                return double.NaN;
            }
            return (usage[0] + usage[2]) * 1e3 + (usage[1] + usage[3]) / 1e3;
        }
        catch (Exception)
        {
            return double.NaN;
        }
    }
}
