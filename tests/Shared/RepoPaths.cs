using System;
using System.IO;

namespace OtelGen.TestSupport;

/// <summary>Where the repository is, for tests that build or read its files.</summary>
public static class RepoPaths
{
    /// <summary>The folder that holds OtelGen.slnx, found upwards from the test's output folder.</summary>
    public static string Root
    {
        get
        {
            for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
            {
                if (File.Exists(Path.Combine(d.FullName, "OtelGen.slnx")))
                {
                    return d.FullName;
                }
            }
            throw new InvalidOperationException("OtelGen.slnx not found above " + AppContext.BaseDirectory);
        }
    }
}
