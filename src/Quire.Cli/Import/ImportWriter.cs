using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Quire.Cli.Client;

namespace Quire.Cli.Import;

/// <summary>
/// Turns rows into puts and sends them as atomic batches (<c>POST .../batch</c>) of at most
/// the batch size and 4 MB. A batch the server refuses is sent again one document at a time
/// (ids make that harmless) to find the row it refused.
/// </summary>
internal sealed class ImportWriter(ServerConnection connection, string database, string collection, string? idField, int batchSize, bool skipBad)
{
    private const int MaxBatchBytes = 4 << 20;
    private readonly List<(long Line, string Op)> _pending = [];
    private int _pendingBytes;
    private string? _lastRefusal;

    /// <summary>Called after each batch with the rows imported so far.</summary>
    public Action<long>? Progress { get; set; }

    public long Imported { get; private set; }

    public long Skipped { get; private set; }

    public async Task RunAsync(IEnumerable<ImportRow> rows, CancellationToken cancellationToken)
    {
        foreach (var row in rows)
        {
            var error = row.Error;
            var op = row.Document is { } document ? Op(row.Line, document, out error) : null;
            if (op is null)
            {
                await BadAsync(row.Line, error ?? "not a document", cancellationToken).ConfigureAwait(false);
                continue;
            }

            _pending.Add((row.Line, op));
            _pendingBytes += op.Length;
            if (_pending.Count >= batchSize || _pendingBytes >= MaxBatchBytes)
            {
                await FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        await FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A row's put op, or null when it has no id to take.</summary>
    private string? Op(long line, JsonObject document, out string? error)
    {
        error = null;
        var field = idField ?? (document.ContainsKey("_id") ? "_id" : null);
        string id;
        if (field is null)
        {
            id = line.ToString(CultureInfo.InvariantCulture);
        }
        else if (document[field] is JsonValue value && (value.GetValueKind() is JsonValueKind.String or JsonValueKind.Number))
        {
            id = value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString();
            if (field == "_id")
            {
                document.Remove("_id");
            }
        }
        else
        {
            error = $"no {field} to take the id from";
            return null;
        }

        return new JsonObject { ["op"] = "put", ["coll"] = collection, ["id"] = id, ["doc"] = document }.ToJsonString();
    }

    private async Task BadAsync(long line, string error, CancellationToken cancellationToken)
    {
        if (!skipBad)
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);   // the rows before it are in: a rerun from the fixed file starts over harmlessly
            throw new CliError($"line {line}: {error} ({Imported:N0} rows before it imported; --skip-bad leaves bad rows out)");
        }

        Skipped++;
        await Console.Error.WriteLineAsync($"quire import: line {line} left out: {error}").ConfigureAwait(false);
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_pending.Count == 0)
        {
            return;
        }

        var batch = _pending.ToList();
        _pending.Clear();
        _pendingBytes = 0;
        if (!await TrySendAsync(batch, cancellationToken).ConfigureAwait(false))
        {
            foreach (var one in batch)
            {
                if (!await TrySendAsync([one], cancellationToken).ConfigureAwait(false))
                {
                    await BadAsync(one.Line, _lastRefusal ?? "refused", cancellationToken).ConfigureAwait(false);
                }
            }
        }

        Progress?.Invoke(Imported);
    }

    /// <summary>Sends one atomic batch; false when the server refused it as bad input (400, 413); any other refusal (401, 403, 404) stops the import.</summary>
    private async Task<bool> TrySendAsync(List<(long Line, string Op)> ops, CancellationToken cancellationToken)
    {
        var body = new StringBuilder("{\"ops\":[");
        body.AppendJoin(',', ops.Select(o => o.Op)).Append("]}");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/databases/{Uri.EscapeDataString(database)}/batch") { Content = new StringContent(body.ToString(), Encoding.UTF8, "application/json") };
        try
        {
            using var response = await connection.SendAsync(request, cancellationToken).ConfigureAwait(false);
            Imported += ops.Count;
            return true;
        }
        catch (CliError refused) when (refused.Status is 400 or 413)
        {
            _lastRefusal = refused.Reason;
            return false;
        }
    }
}
