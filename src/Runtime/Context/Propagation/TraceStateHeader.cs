using System;

namespace OtelGen.Context;

/// <summary>W3C <c>tracestate</c> validation: at most 32 list members of <c>key=value</c>, keys and values per the spec's grammar.</summary>
internal static class TraceStateHeader
{
    /// <summary>The most list members a tracestate may carry.</summary>
    public const int MaxMembers = 32;

    /// <summary>
    /// Validates a tracestate and returns it with empty members and surrounding spaces removed; false when
    /// any member is malformed, a key repeats, or there are more than 32 members (the spec then says to
    /// drop the whole header). A header that needs no change is returned as it came, without allocating.
    /// </summary>
    public static bool TryNormalize(string value, out string? normalized)
    {
        normalized = null;
        // Keys seen so far, as offsets into value: at most 32 members, so a linear search is enough.
        Span<int> keyStart = stackalloc int[MaxMembers];
        Span<int> keyLength = stackalloc int[MaxMembers];
        int count = 0;
        bool unchanged = true;
        int from = 0;
        for (int start = from; NextMember(value, ref from, out int begin, out int length); start = from)
        {
            // An empty member, or spaces around one, make the normalized header differ from the original.
            unchanged &= length > 0 && begin == start && length == from - 1 - start;
            if (length == 0)
            {
                continue;
            }
            ReadOnlySpan<char> member = value.AsSpan(begin, length);
            int eq = member.IndexOf('=');
            if (eq <= 0 || eq == member.Length - 1 || count == MaxMembers)
            {
                return false;
            }
            ReadOnlySpan<char> key = member.Slice(0, eq);
            if (!IsValidKey(key) || !IsValidValue(member.Slice(eq + 1)))
            {
                return false;
            }
            for (int i = 0; i < count; i++)
            {
                if (key.SequenceEqual(value.AsSpan(keyStart[i], keyLength[i])))
                {
                    return false;
                }
            }
            keyStart[count] = begin;
            keyLength[count] = eq;
            count++;
        }
        if (count == 0)
        {
            return false;
        }
        normalized = unchanged ? value : Joined(value);
        return true;
    }

    // The next comma-separated member at or after from, without surrounding spaces and tabs (begin, length;
    // length 0 for an empty one); from moves past its comma. False when the header is used up.
    private static bool NextMember(string value, ref int from, out int begin, out int length)
    {
        begin = from;
        length = 0;
        if (from > value.Length)
        {
            return false;
        }
        int end = value.IndexOf(',', from);
        if (end < 0)
        {
            end = value.Length;
        }
        from = end + 1;
        while (begin < end && value[begin] is ' ' or '\t')
        {
            begin++;
        }
        while (end > begin && value[end - 1] is ' ' or '\t')
        {
            end--;
        }
        length = end - begin;
        return true;
    }

    // The valid header's non-empty members, trimmed, joined with commas (only when it had something to remove).
    private static string Joined(string value)
    {
        var joined = new System.Text.StringBuilder(value.Length);
        for (int from = 0; NextMember(value, ref from, out int begin, out int length);)
        {
            if (length > 0)
            {
                joined.Append(joined.Length == 0 ? "" : ",").Append(value, begin, length);
            }
        }
        return joined.ToString();
    }

    private static bool IsValidKey(ReadOnlySpan<char> key)
    {
        // simple-key = lcalpha 0*255( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
        // multi-tenant-key = tenant-id "@" system-id
        int at = key.IndexOf('@');
        if (at < 0)
        {
            return key.Length <= 256 && key[0] >= 'a' && key[0] <= 'z' && AllKeyChars(key, 1);
        }
        ReadOnlySpan<char> tenant = key.Slice(0, at);
        ReadOnlySpan<char> system = key.Slice(at + 1);
        return tenant.Length is > 0 and <= 241 && system.Length is > 0 and <= 14
            && ((tenant[0] >= 'a' && tenant[0] <= 'z') || (tenant[0] >= '0' && tenant[0] <= '9')) && AllKeyChars(tenant, 1)
            && system[0] >= 'a' && system[0] <= 'z' && AllKeyChars(system, 1);
    }

    private static bool AllKeyChars(ReadOnlySpan<char> s, int from)
    {
        for (int i = from; i < s.Length; i++)
        {
            char c = s[i];
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '*' || c == '/'))
            {
                return false;
            }
        }
        return true;
    }

    private static bool IsValidValue(ReadOnlySpan<char> value)
    {
        // value = 0*255(chr) nblk-chr ; chr = %x20 / nblk-chr ; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E
        if (value.Length > 256 || value[value.Length - 1] == ' ')
        {
            return false;
        }
        foreach (char c in value)
        {
            if (c < 0x20 || c > 0x7E || c == ',' || c == '=')
            {
                return false;
            }
        }
        return true;
    }
}
