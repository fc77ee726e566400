using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Quire.Server.Service;

namespace Quire.Server.Http;

/// <summary>
/// A JSON response whose array of rows is sent as the rows are produced, in pieces of
/// <see cref="FlushBytes"/>, instead of being built whole: a large answer costs the server one
/// piece of memory, not the answer's size. Nothing is sent before the first piece fills, so a
/// query that fails, times out or would pass the size limit before then still gets a plain
/// error status; after that the response ends early with <c>"truncated": true</c> and an
/// <c>"error"</c> (see <see cref="WriteTrailer"/>).
/// </summary>
internal sealed class StreamedJson : IDisposable
{
    /// <summary>How much is gathered before it is sent.</summary>
    public const int FlushBytes = 64 * 1024;

    private readonly HttpContext _context;
    private readonly long _maxBytes;
    private readonly ArrayBufferWriter<byte> _buffer = new(FlushBytes + 4096);
    private long _sent;

    public StreamedJson(HttpContext context, long maxBytes)
    {
        _context = context;
        _maxBytes = maxBytes;
        Writer = new Utf8JsonWriter(_buffer);
    }

    /// <summary>Where the response's JSON is written.</summary>
    public Utf8JsonWriter Writer { get; }

    private bool Started => _sent > 0;

    private long Position => _sent + _buffer.WrittenCount + Writer.BytesPending;

    /// <summary>
    /// Writes each item (as <paramref name="encode"/> gives its JSON) into the open array,
    /// sending as it goes. Returns how many were written and, when it stopped early, why.
    /// Before anything was sent, a stop is thrown instead: a <see cref="ServiceException"/>
    /// (413 too large, 503 timed out) that the caller's error handling answers.
    /// </summary>
    /// <exception cref="OperationCanceledException">The client went away.</exception>
    public async Task<(int Count, string? Stopped)> WriteItemsAsync<T>(IEnumerable<T> items, Func<T, ReadOnlyMemory<byte>> encode, QueryLimit limit)
    {
        var count = 0;
        using var rows = items.GetEnumerator();
        while (true)
        {
            bool more;
            try
            {
                more = rows.MoveNext();
            }
            catch (OperationCanceledException) when (limit.Token.IsCancellationRequested && limit.Stopped() is { } timedOut)
            {
                return (count, Refuse(timedOut));
            }
            catch (Exception ex) when (Started && ServiceErrors.Classify(ex) is { Kind: not ServiceErrorKind.Cancelled } stop)
            {
                // Rows were sent, so the status cannot say it: the answer ends, valid, saying why.
                return (count, stop.Message);
            }

            if (!more)
            {
                return (count, null);
            }

            var json = encode(rows.Current);
            if (Position + json.Length > _maxBytes)
            {
                return (count, Refuse(new ServiceException(ServiceErrorKind.TooLarge,
                    $"the response would be larger than the server's limit ({_maxBytes} bytes, --max-response-bytes): ask for fewer rows with LIMIT")));
            }

            Writer.WriteRawValue(json.Span, skipInputValidation: true);
            count++;
            if (_buffer.WrittenCount + Writer.BytesPending >= FlushBytes)
            {
                await SendAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Ends an early stop: <c>"truncated": true</c> and the <c>"error"</c> saying why.</summary>
    public void WriteTrailer(string? stopped)
    {
        if (stopped is not null)
        {
            Writer.WriteBoolean("truncated", true);
            Writer.WriteString("error", stopped);
        }
    }

    /// <summary>Sends what is left; a response that fits one piece goes with its length, like any other.</summary>
    public async Task CompleteAsync()
    {
        if (!Started)
        {
            Writer.Flush();
            _context.Response.ContentLength = _buffer.WrittenCount;
        }

        await SendAsync().ConfigureAwait(false);
    }

    public void Dispose() => Writer.Dispose();

    /// <summary>The reason to give in the trailer; thrown instead while the status can still say it.</summary>
    private string Refuse(ServiceException stop) => Started ? stop.Message : throw stop;

    private async Task SendAsync()
    {
        Writer.Flush();
        if (!Started)
        {
            _context.Response.StatusCode = 200;
            _context.Response.ContentType = "application/json";
        }

        await _context.Response.Body.WriteAsync(_buffer.WrittenMemory, _context.RequestAborted).ConfigureAwait(false);
        _sent += _buffer.WrittenCount;
        _buffer.ResetWrittenCount();
    }
}
