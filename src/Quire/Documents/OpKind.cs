namespace Quire.Documents;

/// <summary>What an op of a batch does.</summary>
public enum OpKind
{
    /// <summary>Writes a whole document (creating or replacing it).</summary>
    Put,

    /// <summary>Deletes a document; its version stays behind for <c>if_seq</c> checks.</summary>
    Delete,

    /// <summary>Stores a relation edge in both directions.</summary>
    Link,
}
