using OtelGen;

[assembly: TracedNamespace("MyApp.Services")]
[assembly: TracedNamespace("MyApp.Data", TypeNames = "*Repository;Cache*", IncludeSubnamespaces = false)]

namespace MyApp.Services
{
    public class Mailer
    {
        public void Send(string to) { }

        [Traced("mail.preview")]
        public string Preview() => "";

        [NoTrace]
        public void Internals() { }
    }
}

namespace MyApp.Services.Billing
{
    public class Invoices
    {
        public int Count() => 0;
    }
}

namespace MyApp.Data
{
    public class UserRepository
    {
        public string Load(int id) => "u" + id;
    }

    public class CacheWarmer
    {
        public void Warm() { }
    }

    public class Helper
    {
        public void NotMatched() { }
    }

    [NoTrace]
    public class ExcludedRepository
    {
        public void Load() { }
    }
}

namespace MyApp.Data.Nested
{
    public class NestedRepository
    {
        public void Load() { }
    }
}

namespace MyApp
{
    public static class Program
    {
        public static void Run()
        {
            new Services.Mailer().Send("a");
            _ = new Services.Mailer().Preview();
            new Services.Mailer().Internals();
            _ = new Services.Billing.Invoices().Count();
            _ = new Data.UserRepository().Load(1);
            new Data.CacheWarmer().Warm();
            new Data.Helper().NotMatched();
            new Data.ExcludedRepository().Load();
            new Data.Nested.NestedRepository().Load();
        }
    }
}
