namespace Quire.Migration;

/// <summary>
/// The clock a migration writes by: set to each op's original write time, so Quire's op log
/// records when nedbd wrote it (and <c>AS OF</c> a time means the same moment) rather than
/// when it was migrated.
/// </summary>
internal sealed class ReplayClock : TimeProvider
{
    private long _nowMs = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The time writes take from now on, epoch milliseconds.</summary>
    public long NowMs
    {
        get => Interlocked.Read(ref _nowMs);
        set => Interlocked.Exchange(ref _nowMs, value);
    }

    public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(NowMs);
}
