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

    private static string KindName(int kind) => kind switch
    {
        0 => "Unspecified",
        2 => "Server",
        3 => "Client",
        4 => "Producer",
        5 => "Consumer",
        _ => "Internal",
    };
}
