namespace Quire.Files;

/// <summary>One version of a stored file.</summary>
/// <param name="Name">The file's name.</param>
/// <param name="Tier">Its tier (<c>warm</c> or <c>cold</c>, nedbd's): each tier holds its own versions.</param>
/// <param name="Version">Its version: 0 for the first, counting up.</param>
/// <param name="Size">Its length in bytes.</param>
/// <param name="Root">The Merkle root of its chunks (nedb's), lower-case hex.</param>
/// <param name="Data">Its bytes, when read.</param>
public sealed record StoredFile(string Name, string Tier, long Version, long Size, string Root, byte[]? Data = null);
