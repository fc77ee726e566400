namespace Quire.TestSupport;

/// <summary>The file operations a fault can be attached to.</summary>
public enum FaultOp
{
    Open,
    Read,
    Write,
    Sync,
    SyncDirectory,
    Rename,
    Delete,
}
