namespace Quire.Storage.Engine;

/// <summary>One precondition of a batch that did not hold.</summary>
/// <param name="OpIndex">The index of the op the precondition belongs to.</param>
/// <param name="Key">The key it was about.</param>
/// <param name="Expected">The version required, or <see cref="WriteBatch.Absent"/> for "must not exist".</param>
/// <param name="Actual">The key's current version (a tombstone's too), or null when it was never written.</param>
public sealed record KeyPreconditionFailure(int OpIndex, byte[] Key, long Expected, long? Actual);
