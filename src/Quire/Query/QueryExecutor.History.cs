using System.Buffers;
using System.Text.Json;
using Quire.Keys;
using Quire.OpLog;

namespace Quire.Query;

/// <summary>
/// The clauses that read provenance: <c>TRACE caused_by [REVERSE]</c>, which follows
/// <c>_caused_by</c> seqs through the op log, and <c>VALID AS OF "date"</c>, which keeps the
/// documents valid at a date.
/// </summary>
internal sealed partial class QueryExecutor
{
    /// <summary>How many <c>_caused_by</c> hops a TRACE follows from a row, at most.</summary>
    public const int MaxTraceDepth = 64;

    /// <summary>
    /// The rows' causes: the documents the ops their <c>_caused_by</c> names wrote (as those ops
    /// wrote them), then those documents' causes, depth first, each op once. Reversed, their
    /// effects: the documents (as they are now) written by ops naming any version of a row's
    /// document as a cause, then theirs, breadth first, each document once. Seqs the op log
    /// no longer keeps, and ops other than puts, are skipped.
    /// </summary>
    private IEnumerable<QueryRow> Trace(IEnumerable<QueryRow> rows, NqlTrace trace)
    {
        if (trace.Reverse)
        {
            var rowDocuments = new List<(string, string)>();
            foreach (var row in rows)
            {
                rowDocuments.Add((row.Collection ?? _plan.Collection, row.Id));
                row.Dispose();
            }

            return Effects(rowDocuments);
        }

        var starts = new List<long>();
        foreach (var row in rows)
        {
            starts.AddRange(CausedBy(row.Document.RootElement));
            row.Dispose();
        }

        return Causes(starts);
    }

    private IEnumerable<QueryRow> Causes(List<long> starts)
    {
        var visited = new HashSet<long>();
        var pending = new Stack<(long Seq, int Depth)>(starts.Distinct().Reverse().Select(s => (s, 1)));
        while (pending.TryPop(out var next))
        {
            if (next.Depth > MaxTraceDepth || !visited.Add(next.Seq) || OpLogReader.At(_snapshot, next.Seq) is not { Op: "put" } record)
            {
                continue;
            }

            var document = record.Payload.GetProperty("doc");
            yield return new QueryRow(WithSeq(document, record.Seq), record.Seq, new KeyBuilder().String(record.Payload.GetProperty("id").GetString()!).ToArray())
            {
                Collection = record.Payload.GetProperty("coll").GetString(),
            };
            foreach (var cause in Enumerable.Reverse(CausedBy(document)))
            {
                pending.Push((cause, next.Depth + 1));
            }
        }
    }

    private IEnumerable<QueryRow> Effects(List<(string Collection, string Id)> rowDocuments)
    {
        var effects = OpLogReader.Effects(_snapshot, out var puts);
        var starts = rowDocuments.SelectMany(d => puts.TryGetValue(d, out var seqs) ? seqs : []).Distinct();
        var visited = new HashSet<long>();
        var reached = new HashSet<(string, string)>();
        var pending = new Queue<(long Seq, int Depth)>(starts.Select(s => (s, 0)));
        while (pending.TryDequeue(out var next))
        {
            if (next.Depth >= MaxTraceDepth || !effects.TryGetValue(next.Seq, out var written))
            {
                continue;
            }

            foreach (var effect in written)
            {
                if (!visited.Add(effect) || OpLogReader.At(_snapshot, effect) is not { Op: "put" } record)
                {
                    continue;
                }

                pending.Enqueue((effect, next.Depth + 1));
                var (collection, id) = (record.Payload.GetProperty("coll").GetString()!, record.Payload.GetProperty("id").GetString()!);
                if (reached.Add((collection, id)) && ReadDocument(collection, id, filter: false) is { } now)
                {
                    yield return now;
                }
            }
        }
    }

    /// <summary>The seqs a document's <c>_caused_by</c> names (other values are skipped).</summary>
    private static List<long> CausedBy(JsonElement document) =>
        document.ValueKind == JsonValueKind.Object && document.TryGetProperty("_caused_by", out var causes) && causes.ValueKind == JsonValueKind.Array
            ? causes.EnumerateArray().Where(c => c.ValueKind == JsonValueKind.Number && c.TryGetInt64(out _)).Select(c => c.GetInt64()).ToList()
            : [];

    /// <summary>A document as an op wrote it, with <c>_seq</c> added as reads add it.</summary>
    private static byte[] WithSeq(JsonElement document, long seq)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var property in document.EnumerateObject())
            {
                if (!property.NameEquals("_seq"))
                {
                    property.WriteTo(writer);
                }
            }

            writer.WriteNumber("_seq", seq);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// VALID AS OF: a document without <c>_valid_from</c> and <c>_valid_to</c> is always valid;
    /// else <c>_valid_from &lt;= date &lt; _valid_to</c>, compared as text (ISO dates sort so); a
    /// bound that is not a string never holds.
    /// </summary>
    private static bool ValidAt(QueryRow row, string date)
    {
        var document = row.Document.RootElement;
        var hasFrom = document.TryGetProperty("_valid_from", out var from) && from.ValueKind != JsonValueKind.Null;
        var hasTo = document.TryGetProperty("_valid_to", out var to) && to.ValueKind != JsonValueKind.Null;
        if ((hasFrom && from.ValueKind != JsonValueKind.String) || (hasTo && to.ValueKind != JsonValueKind.String))
        {
            return false;
        }

        return (!hasFrom || string.CompareOrdinal(from.GetString(), date) <= 0) && (!hasTo || string.CompareOrdinal(date, to.GetString()) < 0);
    }
}
