using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;

namespace Quire.Replication.ObjectStore;

/// <summary>
/// <see cref="IObjectStore"/> on an S3-compatible service through AWSSDK.S3: AWS itself, or
/// Ceph's RADOS Gateway, MinIO and the like at <c>endpoint</c> (path-style addressing).
/// Plain requests are retried by the SDK with backoff (500s, 503 SlowDown). A conditional
/// put is never blindly retried: after any failure the object is read again, and its content
/// decides: ours means the put took effect, the same ETag as before means nothing happened
/// (and the put is tried again after a pause), anything else means another writer won.
/// </summary>
public sealed class S3ObjectStore : IObjectStore, IDisposable
{
    private const int ConditionalAttempts = 6;

    /// <summary>The part size of a multipart upload: 64 MiB, so a 5 TB limit of 10,000 parts is far away.</summary>
    private const long PartBytes = 64L << 20;
    private readonly AmazonS3Client _client;
    private readonly AmazonS3Client _once;
    private readonly string _bucket;

    /// <summary>
    /// A store on <paramref name="bucket"/> at <paramref name="endpoint"/> (null: AWS, by the
    /// usual <c>AWS_REGION</c>); credentials given, or else the SDK's usual chain
    /// (<c>AWS_ACCESS_KEY_ID</c> and <c>AWS_SECRET_ACCESS_KEY</c>, profiles, instance roles).
    /// </summary>
    public S3ObjectStore(string bucket, Uri? endpoint, AWSCredentials? credentials = null, int maxRetries = 5)
    {
        _bucket = bucket;
        _client = Client(endpoint, credentials, maxRetries);
        _once = Client(endpoint, credentials, 0);
    }

    /// <summary>The bucket.</summary>
    public string Bucket => _bucket;

    /// <summary>Creates the bucket when it does not exist.</summary>
    public async Task EnsureBucketAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await _client.PutBucketAsync(new PutBucketRequest { BucketName = _bucket }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
        {
            // there already
        }
    }

    /// <inheritdoc/>
    public async Task PutAsync(string key, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        try
        {
            await _client.PutObjectAsync(PutRequest(key, data), cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonServiceException ex)
        {
            throw Failed("put", key, ex);
        }
    }

    /// <inheritdoc/>
    public async Task<string?> PutIfAsync(string key, ReadOnlyMemory<byte> data, string? ifMatch, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            var request = PutRequest(key, data);
            if (ifMatch is null)
            {
                request.IfNoneMatch = "*";
            }
            else
            {
                request.IfMatch = ifMatch;   // unquoted: radosgw compares the text as sent
            }

            Exception failure;
            try
            {
                var response = await _once.PutObjectAsync(request, cancellationToken).ConfigureAwait(false);
                return Unquoted(response.ETag);
            }
            catch (Exception ex) when (ex is AmazonServiceException or HttpRequestException or IOException)
            {
                failure = ex;
            }

            // What happened is what the object now is (radosgw answers some losing racers with a 500).
            var now = await GetAsync(key, cancellationToken).ConfigureAwait(false);
            if (now is not null && now.Data.AsSpan().SequenceEqual(data.Span))
            {
                return now.ETag;
            }

            if (now?.ETag != ifMatch)
            {
                return null;
            }

            if (attempt == ConditionalAttempts)
            {
                throw new ObjectStoreException($"a conditional put of {key} failed {attempt} times: {failure.Message}", failure);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50 << attempt), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    /// <remarks>In parts of <see cref="PartBytes"/>, several at a time, when larger than that (the SDK's transfer utility).</remarks>
    public async Task PutFileAsync(string key, string path, CancellationToken cancellationToken = default)
    {
        try
        {
            using var transfer = new TransferUtility(_client, new TransferUtilityConfig { ConcurrentServiceRequests = 4 });
            await transfer.UploadAsync(new TransferUtilityUploadRequest { BucketName = _bucket, Key = key, FilePath = path, PartSize = PartBytes }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonServiceException ex)
        {
            throw Failed("put", key, ex);
        }
    }

    /// <inheritdoc/>
    public async Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await _client.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = key }, cancellationToken).ConfigureAwait(false);
            return response.ResponseStream;   // disposing it ends the response
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (AmazonServiceException ex)
        {
            throw Failed("get", key, ex);
        }
    }

    /// <inheritdoc/>
    public async Task<StoredObject?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        try
        {
            using var response = await _client.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = key }, cancellationToken).ConfigureAwait(false);
            using var content = new MemoryStream(response.ContentLength > 0 ? (int)response.ContentLength : 0);
            await response.ResponseStream.CopyToAsync(content, cancellationToken).ConfigureAwait(false);
            return new StoredObject(content.ToArray(), Unquoted(response.ETag));
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (AmazonServiceException ex)
        {
            throw Failed("get", key, ex);
        }
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<string> ListAsync(string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = new ListObjectsV2Request { BucketName = _bucket, Prefix = prefix };
        while (true)
        {
            ListObjectsV2Response response;
            try
            {
                response = await _client.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
            }
            catch (AmazonServiceException ex)
            {
                throw Failed("list", prefix, ex);
            }

            foreach (var item in response.S3Objects ?? [])
            {
                yield return item.Key;
            }

            if (response.IsTruncated != true)
            {
                yield break;
            }

            request.ContinuationToken = response.NextContinuationToken;
        }
    }

    /// <inheritdoc/>
    public async Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        try
        {
            await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = key }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonServiceException ex)
        {
            throw Failed("delete", key, ex);
        }
    }

    /// <summary>Releases the clients.</summary>
    public void Dispose()
    {
        _client.Dispose();
        _once.Dispose();
    }

    /// <summary>A put of <paramref name="data"/>, read in place when it is an array's (an archive's log objects are megabytes: no copy of them on the large-object heap).</summary>
    private PutObjectRequest PutRequest(string key, ReadOnlyMemory<byte> data) =>
        new()
        {
            BucketName = _bucket,
            Key = key,
            InputStream = System.Runtime.InteropServices.MemoryMarshal.TryGetArray(data, out var segment)
                ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
                : new MemoryStream(data.ToArray(), writable: false),
            AutoCloseStream = true,
        };

    private static AmazonS3Client Client(Uri? endpoint, AWSCredentials? credentials, int maxRetries)
    {
        var config = new AmazonS3Config
        {
            MaxErrorRetry = maxRetries,
            RetryMode = RequestRetryMode.Standard,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (endpoint is not null)
        {
            config.ServiceURL = endpoint.ToString();
            config.ForcePathStyle = true;   // a bucket in the path, not in a host name that loopback cannot resolve
            config.AuthenticationRegion = Environment.GetEnvironmentVariable("AWS_REGION") ?? "us-east-1";
        }

        return credentials is null ? new AmazonS3Client(config) : new AmazonS3Client(credentials, config);
    }

    private static string Unquoted(string? etag) => etag?.Trim('"') ?? "";

    private static ObjectStoreException Failed(string what, string key, AmazonServiceException ex) =>
        new($"the object store refused to {what} {key}: {(int)ex.StatusCode} {ex.ErrorCode} {ex.Message}", ex);
}
