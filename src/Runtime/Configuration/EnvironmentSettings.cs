using System;
using System.Globalization;

namespace OtelGen.Configuration;

/// <summary>
/// Reads settings from environment variables. A malformed value never throws: it falls back to the
/// default with one warning on stderr naming the variable.
/// </summary>
internal static class EnvironmentSettings
{
    /// <summary>The variable's value, or null when unset or blank.</summary>
    public static string? Get(string name)
    {
        string? value = Environment.GetEnvironmentVariable(name);
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    /// <summary>A boolean (<c>true</c>/<c>false</c>, case-insensitive, also 1/0).</summary>
    public static bool GetBool(string name, bool fallback)
    {
        string? value = Get(name);
        if (value is null)
        {
            return fallback;
        }
        if (value.Equals("true", StringComparison.OrdinalIgnoreCase) || value == "1")
        {
            return true;
        }
        if (value.Equals("false", StringComparison.OrdinalIgnoreCase) || value == "0")
        {
            return false;
        }
        Warn(name, value, "true or false", fallback ? "true" : "false");
        return fallback;
    }

    /// <summary>A positive integer.</summary>
    public static int GetPositiveInt(string name, int fallback)
    {
        string? value = Get(name);
        if (value is null)
        {
            return fallback;
        }
        if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int parsed) && parsed > 0)
        {
            return parsed;
        }
        Warn(name, value, "a positive integer", fallback.ToString(CultureInfo.InvariantCulture));
        return fallback;
    }

    /// <summary>A number that is zero or more (for thresholds in milliseconds).</summary>
    public static double GetNonNegativeDouble(string name, double fallback)
    {
        string? value = Get(name);
        if (value is null)
        {
            return fallback;
        }
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed) && parsed >= 0 && !double.IsInfinity(parsed))
        {
            return parsed;
        }
        Warn(name, value, "a number of zero or more", fallback.ToString(CultureInfo.InvariantCulture));
        return fallback;
    }

    /// <summary>Writes the one warning for a bad value; the value is not shown when the name suggests a secret.</summary>
    public static void Warn(string name, string value, string expected, string fallback)
    {
        bool secret = name.Contains("HEADERS", StringComparison.Ordinal);
        Diagnostics.Warn($"{name}={(secret ? "(hidden)" : "'" + value + "'")} is not {expected}; using {fallback}.");
    }
}
