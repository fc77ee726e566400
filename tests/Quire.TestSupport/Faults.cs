namespace Quire.TestSupport;

/// <summary>The errors the fault layer injects, shaped like the ones Linux gives .NET.</summary>
public static class Faults
{
    public static IOException NoSpace() => new("No space left on device (simulated ENOSPC)", 28);

    public static IOException IoError() => new("Input/output error (simulated EIO)", 5);

    public static IOException MachineDown() => new("the machine is down (simulated power loss)");
}
