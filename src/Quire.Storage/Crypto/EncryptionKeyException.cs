namespace Quire.Storage.Crypto;

/// <summary>An encrypted database was opened without its master key, or with another one. Nothing was read or changed.</summary>
public sealed class EncryptionKeyException(string message) : Exception(message);
