namespace Quire.Documents;

/// <summary>Who sends a batch, for replay protection.</summary>
public sealed record BatchOptions
{
    /// <summary>The client's name; with it, every batch takes the client's next nonce.</summary>
    public string? Client { get; init; }

    /// <summary>The nonce: it must be greater than the client's last one. Null: the next one is assigned.</summary>
    public long? Nonce { get; init; }
}
