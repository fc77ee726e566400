namespace Quire.Replication.ObjectStore;

/// <summary>Where an archive lives: <c>s3://bucket/prefix</c> (the prefix may be empty).</summary>
/// <param name="Bucket">The bucket.</param>
/// <param name="Prefix">The key prefix, without a leading or trailing slash; empty for the bucket's root.</param>
public sealed record S3Location(string Bucket, string Prefix)
{
    /// <summary>The location <paramref name="uri"/> names.</summary>
    /// <exception cref="FormatException">It is not <c>s3://bucket[/prefix]</c>.</exception>
    public static S3Location Parse(string uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.StartsWith("s3://", StringComparison.Ordinal))
        {
            throw new FormatException($"'{uri}' is not an s3://bucket/prefix location");
        }

        var rest = uri["s3://".Length..].Trim('/');
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var (bucket, prefix) = slash < 0 ? (rest, "") : (rest[..slash], rest[(slash + 1)..].Trim('/'));
        if (bucket.Length is < 3 or > 63 || !bucket.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.'))
        {
            throw new FormatException($"'{bucket}' in '{uri}' is not a bucket name (3 to 63 lower-case letters, digits, '-' and '.')");
        }

        return new S3Location(bucket, prefix);
    }

    /// <summary>The full key of <paramref name="name"/> under the prefix.</summary>
    public string Key(string name) => Prefix.Length == 0 ? name : $"{Prefix}/{name}";

    /// <inheritdoc/>
    public override string ToString() => Prefix.Length == 0 ? $"s3://{Bucket}" : $"s3://{Bucket}/{Prefix}";
}
