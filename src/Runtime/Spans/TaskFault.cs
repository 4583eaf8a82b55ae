using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks;

namespace OtelGen.Spans;

/// <summary>
/// The exception of a faulted task, read without observing it. <see cref="Task.Exception"/> marks the
/// exception observed, so a fire-and-forget faulted task whose span read it would no longer raise
/// <see cref="TaskScheduler.UnobservedTaskException"/>, and tracing would change what the program does.
/// On .NET 10 the task's exception list is read where the runtime keeps it (no reflection, AOT-safe);
/// if that ever fails, and on .NET 8, the span records the failure without the exception.
/// </summary>
internal static class TaskFault
{
    private static bool s_unavailable;

    /// <summary>The first exception of a faulted <paramref name="task"/>, or null when it cannot be read without observing it.</summary>
    public static Exception? FirstException(Task task)
    {
#if NET10_0_OR_GREATER
        if (!s_unavailable)
        {
            try
            {
                object? properties = ContingentProperties(task);
                object? holder = properties is null ? null : ExceptionsHolder(properties);
                List<ExceptionDispatchInfo>? faults = holder is null ? null : FaultExceptions(holder);
                if (faults is { Count: > 0 })
                {
                    return faults[0].SourceException;
                }
            }
            catch (Exception)
            {
                // A runtime whose Task keeps its exceptions elsewhere: stop trying.
                s_unavailable = true;
            }
        }
#else
        _ = s_unavailable;
        _ = task;
#endif
        return null;
    }

#if NET10_0_OR_GREATER
    private const string ContingentPropertiesType = "System.Threading.Tasks.Task+ContingentProperties, System.Private.CoreLib";
    private const string ExceptionHolderType = "System.Threading.Tasks.TaskExceptionHolder, System.Private.CoreLib";

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "m_contingentProperties")]
    [return: UnsafeAccessorType(ContingentPropertiesType)]
    private static extern ref object? ContingentProperties(Task task);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "m_exceptionsHolder")]
    [return: UnsafeAccessorType(ExceptionHolderType)]
    private static extern ref object? ExceptionsHolder([UnsafeAccessorType(ContingentPropertiesType)] object properties);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "m_faultExceptions")]
    private static extern ref List<ExceptionDispatchInfo>? FaultExceptions([UnsafeAccessorType(ExceptionHolderType)] object holder);
#endif
}
