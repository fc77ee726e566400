using System.Diagnostics.Tracing;

namespace Quire.Bench.Harness;

/// <summary>
/// Records the longest GC pause (suspend to restart of the runtime) from the runtime's
/// own GC events, so every pause is seen, not a sample of them.
/// </summary>
public sealed class GcPauseMonitor : EventListener
{
    private const int SuspendBegin = 9;   // GCSuspendEEBegin_V1
    private const int RestartEnd = 3;     // GCRestartEEEnd_V1
    private long _suspendedAt;
    private long _maxTicks;

    public TimeSpan MaxPause => TimeSpan.FromTicks(Interlocked.Read(ref _maxTicks));

    public void Reset() => Interlocked.Exchange(ref _maxTicks, 0);

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Informational, (EventKeywords)0x1); // GC keyword
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventId == SuspendBegin)
        {
            _suspendedAt = eventData.TimeStamp.Ticks;
        }
        else if (eventData.EventId == RestartEnd && _suspendedAt != 0)
        {
            var pause = eventData.TimeStamp.Ticks - _suspendedAt;
            _suspendedAt = 0;
            long current;
            while (pause > (current = Interlocked.Read(ref _maxTicks)) && Interlocked.CompareExchange(ref _maxTicks, pause, current) != current)
            {
            }
        }
    }
}
