namespace Quire.TestSupport;

/// <summary>
/// Fails an operation on files whose path contains <see cref="PathContains"/>, after
/// <see cref="Skip"/> matching operations have passed, <see cref="Times"/> times
/// (-1 for every time). A torn write keeps <see cref="KeepBytes"/> of the data before failing.
/// </summary>
public sealed class FaultRule
{
    public required FaultOp Op { get; init; }

    public string PathContains { get; init; } = "";

    public int Skip { get; set; }

    public int Times { get; set; } = 1;

    public Func<IOException> Error { get; init; } = Faults.IoError;

    /// <summary>For writes: how many bytes reach the file before the error (a torn write); null writes nothing.</summary>
    public int? KeepBytes { get; init; }

    /// <summary>After firing, the whole machine goes down: every later operation fails until <see cref="FaultyFileSystem.PowerLoss"/>.</summary>
    public bool CrashMachine { get; init; }

    internal bool Matches(FaultOp op, string path)
    {
        if (op != Op || Times == 0 || !path.Contains(PathContains, StringComparison.Ordinal))
        {
            return false;
        }

        if (Skip > 0)
        {
            Skip--;
            return false;
        }

        if (Times > 0)
        {
            Times--;
        }

        return true;
    }
}
