using System;
using System.Threading.Tasks;
using OtelGen;

// A user's program: one PackageReference, attributes, nothing else.
var work = new Work();
int total = await work.RunAsync(3);
Console.WriteLine($"total={total}");

public sealed class Work
{
    private readonly Store _store = new();

    [Traced]
    public async Task<int> RunAsync(int n)
    {
        int sum = 0;
        for (int i = 0; i < n; i++)
        {
            sum += Step(i);
        }
        sum += await _store.GetAsync(n);
        return sum;
    }

    [Traced]
    public int Step(int i) => i * 2;
}

public sealed class Store
{
    [Effect("db.get", Target = "blog_post")]
    public async Task<int> GetAsync(int id)
    {
        await Task.Delay(10);
        return id;
    }
}
