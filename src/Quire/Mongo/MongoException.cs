namespace Quire.Mongo;

/// <summary>A MongoDB-style request Quire cannot run: an unknown op, operator or stage, a malformed filter, a duplicate <c>_id</c>. Nothing was changed.</summary>
public sealed class MongoException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public MongoException(string message)
        : base(message)
    {
    }
}
