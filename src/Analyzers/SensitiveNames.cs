using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace OtelGen.Analyzers;

/// <summary>
/// Heuristics for parameters that carry secrets or card data. Names are split into words
/// (<c>userApiKey</c> → user, api, key) so that <c>tokenCount</c> or <c>CancellationToken</c> do not match.
/// </summary>
internal static class SensitiveNames
{
    private static readonly HashSet<string> s_words = new()
    {
        "password", "passwd", "pwd", "passphrase", "secret", "apikey", "authorization", "credential", "credentials",
        "creditcard", "cardnumber", "cvv", "cvc", "ssn", "bearer", "token", "accesstoken", "refreshtoken", "idtoken",
        "privatekey", "connectionstring",
    };

    private static readonly (string First, string Second)[] s_pairs =
    {
        ("api", "key"), ("credit", "card"), ("card", "number"), ("private", "key"), ("access", "key"), ("secret", "key"),
        ("connection", "string"), ("security", "code"), ("auth", "header"), ("auth", "token"),
    };

    private static readonly string[] s_fragments = { "password", "passwd", "secret", "apikey", "creditcard", "authorization" };

    /// <summary>Why the parameter looks sensitive, or null.</summary>
    public static string? Reason(IParameterSymbol parameter)
    {
        ITypeSymbol type = parameter.Type;
        string typeName = type.Name;
        if (typeName == "CancellationToken")
        {
            return null;
        }

        if (typeName is "SecureString" or "NetworkCredential" or "ICredentials" or "X509Certificate2")
        {
            return "its type '" + typeName + "' holds a credential";
        }

        if (Match(typeName) is { } typeWord && typeWord != "token")
        {
            return "its type '" + typeName + "' looks like a " + typeWord;
        }

        return Match(parameter.Name) is { } word ? "its name says '" + word + "'" : null;
    }

    /// <summary>The sensitive word an identifier contains, or null.</summary>
    public static string? Match(string identifier)
    {
        List<string> words = Words(identifier);
        for (int i = 0; i < words.Count; i++)
        {
            if (s_words.Contains(words[i]))
            {
                return words[i];
            }

            if (i + 1 < words.Count)
            {
                foreach ((string first, string second) in s_pairs)
                {
                    if (words[i] == first && words[i + 1] == second)
                    {
                        return first + " " + second;
                    }
                }
            }
        }

        // All-lowercase compounds (userpassword, xapikey) have no word boundaries to split on.
        string lower = identifier.ToLowerInvariant();
        foreach (string fragment in s_fragments)
        {
            if (lower.Contains(fragment))
            {
                return fragment;
            }
        }

        return null;
    }

    private static List<string> Words(string identifier)
    {
        var words = new List<string>();
        int start = 0;
        for (int i = 0; i <= identifier.Length; i++)
        {
            bool boundary = i == identifier.Length || !char.IsLetterOrDigit(identifier[i])
                || (i > start && char.IsUpper(identifier[i]) && (char.IsLower(identifier[i - 1]) || (i + 1 < identifier.Length && char.IsLower(identifier[i + 1]))));
            if (!boundary)
            {
                continue;
            }

            if (i > start)
            {
                words.Add(identifier.Substring(start, i - start).ToLowerInvariant());
            }

            start = i < identifier.Length && !char.IsLetterOrDigit(identifier[i]) ? i + 1 : i;
        }

        return words;
    }
}
