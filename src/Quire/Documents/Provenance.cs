using System.Text.Json;

namespace Quire.Documents;

/// <summary>
/// Where a document's content came from, as nedbd records it: stored on the document as
/// <c>_caused_by</c>, <c>_evidence</c>, <c>_confidence</c>, <c>_valid_from</c> and
/// <c>_valid_to</c> (a field given here replaces the document's own field of that name).
/// </summary>
public sealed record Provenance
{
    /// <summary>The seqs of the ops that caused this write (<c>_caused_by</c>).</summary>
    public IReadOnlyList<long>? CausedBy { get; init; }

    /// <summary>Any JSON value supporting the write (<c>_evidence</c>).</summary>
    public JsonElement? Evidence { get; init; }

    /// <summary>How sure the writer is (<c>_confidence</c>).</summary>
    public double? Confidence { get; init; }

    /// <summary>From when the content holds, an ISO date (<c>_valid_from</c>).</summary>
    public string? ValidFrom { get; init; }

    /// <summary>Until when the content holds, an ISO date, exclusive (<c>_valid_to</c>).</summary>
    public string? ValidTo { get; init; }

    /// <summary>True when <paramref name="name"/> is a field this provenance sets on the document.</summary>
    internal bool Sets(string name) => name switch
    {
        "_caused_by" => CausedBy is not null,
        "_evidence" => Evidence is not null,
        "_confidence" => Confidence is not null,
        "_valid_from" => ValidFrom is not null,
        "_valid_to" => ValidTo is not null,
        _ => false,
    };

    /// <summary>Writes the fields this provenance sets.</summary>
    internal void WriteTo(Utf8JsonWriter writer)
    {
        if (CausedBy is { } seqs)
        {
            writer.WriteStartArray("_caused_by");
            foreach (var seq in seqs)
            {
                writer.WriteNumberValue(seq);
            }

            writer.WriteEndArray();
        }

        if (Evidence is { } evidence)
        {
            writer.WritePropertyName("_evidence");
            evidence.WriteTo(writer);
        }

        if (Confidence is { } confidence)
        {
            writer.WriteNumber("_confidence", confidence);
        }

        if (ValidFrom is { } from)
        {
            writer.WriteString("_valid_from", from);
        }

        if (ValidTo is { } to)
        {
            writer.WriteString("_valid_to", to);
        }
    }
}
