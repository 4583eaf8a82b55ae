using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using OtelGen.Generator.Model;

namespace OtelGen.Generator;

internal static partial class Parser
{
    // Attribute arguments.

    internal static string? NamedString(AttributeData attribute, string name)
    {
        foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
        {
            if (argument.Key == name)
            {
                return argument.Value.Value as string;
            }
        }
        return null;
    }

    internal static bool NamedBool(AttributeData attribute, string name, bool fallback)
    {
        foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
        {
            if (argument.Key == name && argument.Value.Value is bool value)
            {
                return value;
            }
        }
        return fallback;
    }

    private static int NamedInt(AttributeData attribute, string name, int fallback)
    {
        foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
        {
            if (argument.Key == name && argument.Value.Value is { } value)
            {
                return Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        return fallback;
    }

    // A Kind argument is a System.Diagnostics.ActivityKind: Internal = 0, Server = 1, Client = 2, Producer = 3, Consumer = 4.
    internal const int InternalKind = 0, ClientKind = 2;

    /// <summary>The <c>ActivityKind</c> member a <c>Kind</c> argument's value names; Internal for a value outside the enum.</summary>
    private static string KindName(int kind) => kind switch
    {
        1 => "Server",
        2 => "Client",
        3 => "Producer",
        4 => "Consumer",
        _ => "Internal",
    };
}
