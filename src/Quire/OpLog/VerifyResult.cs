namespace Quire.OpLog;

/// <summary>What <c>Verify</c> found.</summary>
/// <param name="Ok">True when every retained record links to the one before and the last to the head.</param>
/// <param name="Seq">The seq it checked up to.</param>
/// <param name="Head">The chain's head at that seq, lower-case hex.</param>
/// <param name="Records">How many records it checked.</param>
/// <param name="Problem">What broke, or null.</param>
public sealed record VerifyResult(bool Ok, long Seq, string Head, long Records, string? Problem);
