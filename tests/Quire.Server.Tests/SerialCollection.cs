namespace Quire.Server.Tests;

/// <summary>
/// Tests that take both cores for a minute or more (publishing single files, a browser):
/// they run on their own, after the others, so the tests that watch timing (replication
/// flow control, synchronous replicas) never share the machine with them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Runs alone";
}
