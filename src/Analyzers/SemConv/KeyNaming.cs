using System.Text;

namespace OtelGen.Analyzers.SemConv;

/// <summary>
/// The semantic-conventions naming rule for keys, <c>^[a-z][a-z0-9]*([._][a-z0-9]+)*$</c>, written out by hand
/// (no Regex: it runs on every key write the IDE sees), and the snake_case form proposed by the fix.
/// </summary>
internal static class KeyNaming
{
    public static bool IsValid(string key)
    {
        if (key.Length == 0 || key[0] is < 'a' or > 'z')
        {
            return false;
        }

        bool afterDelimiter = false;
        foreach (char c in key)
        {
            if (c is (>= 'a' and <= 'z') or (>= '0' and <= '9'))
            {
                afterDelimiter = false;
            }
            else if (c is '.' or '_')
            {
                if (afterDelimiter)
                {
                    return false;
                }

                afterDelimiter = true;
            }
            else
            {
                return false;
            }
        }

        return !afterDelimiter;
    }

    /// <summary>Says briefly what is wrong with an invalid key.</summary>
    public static string Problem(string key)
    {
        if (key.Length == 0)
        {
            return "it is empty";
        }

        if (key[0] is >= '0' and <= '9')
        {
            return "it starts with a digit";
        }

        foreach (char c in key)
        {
            if (c is >= 'A' and <= 'Z')
            {
                return "it has uppercase letters";
            }

            if (char.IsWhiteSpace(c))
            {
                return "it has white space";
            }
        }

        if (key.Contains("..") || key.Contains("._") || key.Contains("_.") || key.Contains("__"))
        {
            return "it has two delimiters in a row";
        }

        char last = key[key.Length - 1];
        if (last is '.' or '_')
        {
            return "it ends with a delimiter";
        }

        if (key[0] is '.' or '_')
        {
            return "it starts with a delimiter";
        }

        return "it has characters other than a-z, 0-9, '.' and '_'";
    }

    /// <summary>The snake_case form of a key (<c>HTTP.RequestMethod</c> → <c>http.request_method</c>), or null if there is none.</summary>
    public static string? ToSnakeCase(string key)
    {
        var sb = new StringBuilder(key.Length + 8);
        for (int i = 0; i < key.Length; i++)
        {
            char c = key[i];
            if (c is >= 'A' and <= 'Z')
            {
                char prev = i > 0 ? key[i - 1] : '.';
                char next = i + 1 < key.Length ? key[i + 1] : '.';
                bool wordStart = prev is (>= 'a' and <= 'z') or (>= '0' and <= '9')
                    || (prev is >= 'A' and <= 'Z' && next is >= 'a' and <= 'z');
                if (wordStart)
                {
                    sb.Append('_');
                }

                sb.Append((char)(c + 32));
            }
            else if (c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.')
            {
                sb.Append(c);
            }
            else
            {
                sb.Append('_');
            }
        }

        // Collapse delimiter runs (a dot wins over underscores) and trim them at the ends.
        var result = new StringBuilder(sb.Length);
        int k = 0;
        while (k < sb.Length)
        {
            if (sb[k] is '.' or '_')
            {
                bool dot = false;
                while (k < sb.Length && sb[k] is '.' or '_')
                {
                    dot |= sb[k] == '.';
                    k++;
                }

                if (result.Length > 0 && k < sb.Length)
                {
                    result.Append(dot ? '.' : '_');
                }
            }
            else
            {
                result.Append(sb[k]);
                k++;
            }
        }

        string snake = result.ToString();
        return IsValid(snake) ? snake : null;
    }
}
