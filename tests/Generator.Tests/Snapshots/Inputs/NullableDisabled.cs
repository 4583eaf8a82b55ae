#nullable disable
using System.Collections.Generic;
using OtelGen;

namespace Legacy;

public class Store
{
    [Traced]
    public string Find(string key, List<string> values) => values.Contains(key) ? key : null;
}

public static class Program
{
    public static string Run() => new Store().Find(null, new List<string>());
}
