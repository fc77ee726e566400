namespace Quire.Storage.Engine;

/// <summary>The engine takes no commits of its own (a replica applies only its primary's log).</summary>
public sealed class ReadOnlyEngineException : InvalidOperationException
{
    /// <summary>Why the engine is read-only.</summary>
    public ReadOnlyEngineException(string message)
        : base(message)
    {
    }
}
