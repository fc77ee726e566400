namespace Quire.Documents;

/// <summary>A batch's nonce is not greater than its client's last one: a replay, refused; nothing was applied.</summary>
public sealed class NonceReplayException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public NonceReplayException(string client, long nonce, long last)
        : base($"replay/stale nonce for client '{client}': {nonce} <= {last}")
    {
        Client = client;
        Nonce = nonce;
        Last = last;
    }

    /// <summary>The client.</summary>
    public string Client { get; }

    /// <summary>The nonce refused.</summary>
    public long Nonce { get; }

    /// <summary>The client's last nonce.</summary>
    public long Last { get; }
}
