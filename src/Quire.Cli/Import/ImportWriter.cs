using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Quire.Cli.Client;

namespace Quire.Cli.Import;

/// <summary>
/// Turns rows into puts and sends them as atomic batches (<c>POST .../batch</c>) of at most
/// the batch size and 4 MB, two in flight: the server commits one while the next is read and
/// sent. A batch holding an id that a batch in flight also holds waits for it, so writes to one
/// id land in file order. A batch the server refuses is sent again one document at a time (ids
/// make that harmless) to find the row it refused.
/// </summary>
internal sealed class ImportWriter(ServerConnection connection, string database, string collection, string? idField, int batchSize, bool skipBad)
{
    private const int MaxBatchBytes = 4 << 20;

    /// <summary>Batches in flight: one committing, one on its way (more only queues on the server's one log).</summary>
    private const int InFlight = 2;

    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private readonly List<(long Line, byte[] Op)> _pending = [];
    private readonly List<(Task Sent, HashSet<string> Ids)> _inFlight = [];
    private readonly ArrayBufferWriter<byte> _opBuffer = new(4096);
    private HashSet<string> _pendingIds = new(StringComparer.Ordinal);
    private int _pendingBytes;
    private long _imported;
    private long _skipped;

    /// <summary>Called after each batch with the rows imported so far.</summary>
    public Action<long>? Progress { get; set; }

    public long Imported => Interlocked.Read(ref _imported);

    public long Skipped => Interlocked.Read(ref _skipped);

    public async Task RunAsync(IEnumerable<ImportRow> rows, CancellationToken cancellationToken)
    {
        foreach (var row in rows)
        {
            var error = row.Error;
            var id = row.Document is { } document ? IdOf(row.Line, document, out error) : null;
            if (id is null)
            {
                await BadAsync(row.Line, error ?? "not a document", cancellationToken).ConfigureAwait(false);
                continue;
            }

            var op = Op(id, row.Document!.Value);
            _pending.Add((row.Line, op));
            _pendingIds.Add(id);
            _pendingBytes += op.Length;
            if (_pending.Count >= batchSize || _pendingBytes >= MaxBatchBytes)
            {
                await FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        await FlushAsync(cancellationToken).ConfigureAwait(false);
        await DrainAsync().ConfigureAwait(false);
    }

    /// <summary>A row's id, or null when it has none to take.</summary>
    private string? IdOf(long line, JsonElement document, out string? error)
    {
        error = null;
        var field = idField ?? (document.TryGetProperty("_id", out _) ? "_id" : null);
        if (field is null)
        {
            return line.ToString(CultureInfo.InvariantCulture);
        }

        if (document.TryGetProperty(field, out var value) && value.ValueKind is JsonValueKind.String or JsonValueKind.Number)
        {
            return value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText();
        }

        error = $"no {field} to take the id from";
        return null;
    }

    /// <summary>The put op's JSON; the document goes as it is (the server stores <c>_id</c> as the op's id).</summary>
    private byte[] Op(string id, JsonElement document)
    {
        _opBuffer.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(_opBuffer))
        {
            writer.WriteStartObject();
            writer.WriteString("op"u8, "put"u8);
            writer.WriteString("coll"u8, collection);
            writer.WriteString("id"u8, id);
            writer.WritePropertyName("doc"u8);
            document.WriteTo(writer);
            writer.WriteEndObject();
        }

        return _opBuffer.WrittenSpan.ToArray();
    }

    private async Task BadAsync(long line, string error, CancellationToken cancellationToken)
    {
        if (!skipBad)
        {
            // The rows before it are in: a rerun from the fixed file starts over harmlessly.
            await FlushAsync(cancellationToken).ConfigureAwait(false);
            await DrainAsync().ConfigureAwait(false);
            throw new CliError($"line {line}: {error} ({Imported:N0} rows before it imported; --skip-bad leaves bad rows out)");
        }

        Interlocked.Increment(ref _skipped);
        await Console.Error.WriteLineAsync($"quire import: line {line} left out: {error}").ConfigureAwait(false);
    }

    /// <summary>Sends the pending rows as a batch, once no batch in flight holds one of its ids and fewer than <see cref="InFlight"/> are.</summary>
    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_pending.Count == 0)
        {
            return;
        }

        var batch = _pending.ToList();
        var ids = _pendingIds;
        _pending.Clear();
        _pendingIds = new HashSet<string>(StringComparer.Ordinal);
        _pendingBytes = 0;
        if (_inFlight.Exists(f => f.Ids.Overlaps(ids)))
        {
            await DrainAsync().ConfigureAwait(false);
        }

        while (_inFlight.Count >= InFlight)
        {
            var done = await Task.WhenAny(_inFlight.Select(f => f.Sent)).ConfigureAwait(false);
            await done.ConfigureAwait(false);   // a failure surfaces here
            _inFlight.RemoveAll(f => f.Sent == done);
        }

        _inFlight.Add((SendAsync(batch, cancellationToken), ids));
    }

    private async Task DrainAsync()
    {
        try
        {
            await Task.WhenAll(_inFlight.Select(f => f.Sent)).ConfigureAwait(false);
        }
        finally
        {
            _inFlight.Clear();
        }
    }

    /// <summary>Sends a batch (off the reading loop: it touches only the counters).</summary>
    private async Task SendAsync(List<(long Line, byte[] Op)> batch, CancellationToken cancellationToken)
    {
        if (await TrySendAsync(batch, cancellationToken).ConfigureAwait(false) is not null)
        {
            foreach (var one in batch)
            {
                if (await TrySendAsync([one], cancellationToken).ConfigureAwait(false) is not { } refusal)
                {
                    continue;
                }

                if (!skipBad)
                {
                    throw new CliError($"line {one.Line}: {refusal} (the rows before it are imported; --skip-bad leaves bad rows out)");
                }

                Interlocked.Increment(ref _skipped);
                await Console.Error.WriteLineAsync($"quire import: line {one.Line} left out: {refusal}").ConfigureAwait(false);
            }
        }

        Progress?.Invoke(Imported);
    }

    /// <summary>Sends one atomic batch; the server's reason when it refused it as bad input (400, 413), else null; any other refusal (401, 403, 404) stops the import.</summary>
    private async Task<string?> TrySendAsync(List<(long Line, byte[] Op)> ops, CancellationToken cancellationToken)
    {
        var body = new byte[ops.Sum(o => o.Op.Length + 1) + 10];
        var length = Append(body, 0, "{\"ops\":["u8);
        for (var i = 0; i < ops.Count; i++)
        {
            length = Append(body, length, i == 0 ? [] : ","u8);
            length = Append(body, length, ops[i].Op);
        }

        length = Append(body, length, "]}"u8);
        var content = new ByteArrayContent(body, 0, length);
        content.Headers.ContentType = Json;
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/databases/{Uri.EscapeDataString(database)}/batch") { Content = content };
        try
        {
            using var response = await connection.SendAsync(request, cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref _imported, ops.Count);
            return null;
        }
        catch (CliError refused) when (refused.Status is 400 or 413)
        {
            return refused.Reason ?? "refused";
        }
    }

    private static int Append(byte[] body, int at, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(body.AsSpan(at));
        return at + bytes.Length;
    }
}
