namespace Quire.Bench.Harness;

public static class Median
{
    /// <summary>Runs <paramref name="measure"/> <paramref name="repeats"/> times and returns the median.</summary>
    public static double Of(int repeats, Func<double> measure) => Of(Enumerable.Range(0, repeats).Select(_ => measure()).ToList());

    public static double Of(IReadOnlyCollection<double> samples)
    {
        var values = samples.Order().ToArray();
        return values.Length % 2 == 1 ? values[values.Length / 2] : (values[values.Length / 2 - 1] + values[values.Length / 2]) / 2;
    }
}
