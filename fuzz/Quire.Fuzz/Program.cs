using SharpFuzz;

namespace Quire.Fuzz;

/// <summary>
/// <c>Quire.Fuzz &lt;target&gt;</c>: under afl-fuzz (fuzz/run.sh), runs the target on each
/// input afl gives, in one process; alone, runs it once on standard input.
/// <c>Quire.Fuzz &lt;target&gt; &lt;files or directories&gt;</c> replays inputs and says which fail.
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        if (args is ["seed-replication", var directory])
        {
            Targets.ReplicationTarget.WriteSeeds(directory);
            return 0;
        }

        if (args.Length == 0 || FuzzTargets.Find(args[0]) is not { } target)
        {
            Console.Error.WriteLine($"usage: Quire.Fuzz <{string.Join('|', FuzzTargets.All.Select(make => make().Name))}> [inputs...]");
            return 2;
        }

        if (args.Length > 1)
        {
            return Replay(target, args[1..]);
        }

        Fuzzer.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            target.Run(buffer.ToArray());
        });
        return 0;
    }

    private static int Replay(IFuzzTarget target, string[] paths)
    {
        var failed = 0;
        foreach (var file in paths.SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p, "*", SearchOption.AllDirectories) : [p]))
        {
            try
            {
                target.Run(File.ReadAllBytes(file));
            }
            catch (Exception ex)
            {
                failed++;
                Console.WriteLine($"{file}: {ex}");
            }
        }

        return failed == 0 ? 0 : 1;
    }
}
