using Quire.Fuzz.Targets;

namespace Quire.Fuzz;

/// <summary>Every fuzz target, by name.</summary>
internal static class FuzzTargets
{
    public static readonly IReadOnlyList<Func<IFuzzTarget>> All =
    [
        () => new NqlTarget(),
        () => new OpsTarget(),
        () => new MongoTarget(),
        () => new MessagePackTarget(),
        () => new RespTarget(),
        () => new ReplicationTarget(),
        () => new LogTarget(),
        () => new PageTarget(),
        () => new SealedTarget(),
    ];

    public static IFuzzTarget? Find(string name) => All.Select(make => make()).FirstOrDefault(t => t.Name == name);
}
