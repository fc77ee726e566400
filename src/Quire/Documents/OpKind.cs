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

    /// <summary>
    /// Writes nothing: the batch commits only if the document is at the version the op's
    /// <c>if_seq</c> names (a read the batch depends on). It takes no seq and no op-log entry.
    /// </summary>
    Check,
}
