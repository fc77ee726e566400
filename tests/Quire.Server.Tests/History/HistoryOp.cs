namespace Quire.Server.Tests.History;

/// <summary>What a client asked of one key.</summary>
internal enum OpKind
{
    /// <summary>Read the key's value.</summary>
    Read,

    /// <summary>Set the key's value.</summary>
    Write,

    /// <summary>Set the key's value if it is still <see cref="HistoryOp.Expected"/> (a put with <c>if_seq</c> of the version read).</summary>
    CompareAndSet,
}

/// <summary>How a request ended, as its client saw it.</summary>
internal enum Outcome
{
    /// <summary>Answered: done (a compare-and-set that held, a read with its value).</summary>
    Ok,

    /// <summary>Answered: not done (a compare-and-set whose version no longer held).</summary>
    Failed,

    /// <summary>Cut off (the server was killed): it may or may not have taken effect.</summary>
    Unknown,
}

/// <summary>
/// One operation of a recorded history: invoked and completed at monotonic timestamps. An
/// <see cref="Outcome.Unknown"/> one completes when the next server is ready (nothing can
/// take effect in a killed process after that), or at the end of the history.
/// </summary>
internal sealed record HistoryOp(int Client, string Key, OpKind Kind, string? Value, string? Expected, long Invoke)
{
    public long Complete { get; set; } = long.MaxValue;

    public Outcome Outcome { get; set; } = Outcome.Unknown;

    /// <summary>What a read saw: the value, or null when the key had none.</summary>
    public string? Observed { get; set; }

    public override string ToString() =>
        $"client {Client} {Kind} {Key}" + Kind switch
        {
            OpKind.Read => $" -> {(Outcome == Outcome.Ok ? Observed ?? "(none)" : Outcome.ToString())}",
            OpKind.Write => $" := {Value} ({Outcome})",
            _ => $" {Expected} -> {Value} ({Outcome})",
        } + $" [{Invoke}, {(Complete == long.MaxValue ? "end" : Complete)}]";
}
