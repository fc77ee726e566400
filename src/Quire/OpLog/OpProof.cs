namespace Quire.OpLog;

/// <summary>
/// nedb's inclusion proof for one op: a fold <c>h' = BLAKE2b-256(h || op_hash)</c> from 32
/// zero bytes over the retained ops' hashes in seq order. <see cref="PrevHead"/> is the fold
/// before the op, <see cref="Subsequent"/> the hashes after it and <see cref="Head"/> the
/// fold over all of them, so a client re-derives <see cref="Head"/> offline (nedb's
/// <c>verify_proof</c>) and compares it with a head it trusts.
/// </summary>
/// <param name="Hash">The op's chain hash, hex.</param>
/// <param name="Seq">The op's seq.</param>
/// <param name="PrevHead">The fold over the retained ops before it, hex.</param>
/// <param name="Subsequent">The hashes of the ops after it, in seq order.</param>
/// <param name="Head">The fold over every retained op, hex.</param>
public sealed record OpProof(string Hash, long Seq, string PrevHead, IReadOnlyList<string> Subsequent, string Head)
{
    /// <summary>The fold's start: 32 zero bytes.</summary>
    public static readonly string Genesis = new('0', 64);

    /// <summary>One step of the fold: BLAKE2b-256 over the two hashes' bytes.</summary>
    public static string Step(string head, string opHash)
    {
        Span<byte> input = stackalloc byte[64];
        Convert.FromHexString(head, input[..32], out _, out _);
        Convert.FromHexString(opHash, input[32..], out _, out _);
        Span<byte> output = stackalloc byte[32];
        Blake2b.Hash(input, output);
        return Convert.ToHexStringLower(output);
    }

    /// <summary>True when <see cref="PrevHead"/>, the op's hash and <see cref="Subsequent"/> fold to <see cref="Head"/>.</summary>
    public bool Verify()
    {
        var head = Step(PrevHead, Hash);
        foreach (var next in Subsequent)
        {
            head = Step(head, next);
        }

        return head == Head;
    }
}
