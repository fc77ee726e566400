using System.Buffers;
using System.Text;
using System.Text.Json;
using Quire.Databases;
using Quire.Documents;
using Quire.TestSupport;

namespace Quire.Tests.Databases;

/// <summary><see cref="Database.OpenExport"/>: stored documents as JSON Lines, from one snapshot.</summary>
public class DocumentExportTests
{
    [Fact]
    public async Task An_export_is_as_of_the_moment_it_opened_leaves_out_expired_documents_and_names_collections_when_it_spans_several()
    {
        using var dir = new TempDirectory("quire-export");
        using var catalog = DatabaseCatalog.Open(dir.Path);
        var db = catalog.Create("e");
        await db.BatchAsync([.. Enumerable.Range(0, 3000).Select(i => DocumentOp.Put("c", $"d{i:D5}", Json($$"""{"n": {{i}}, "s": "é\n"}""")))]);
        await db.PutAsync("other", "x", Json("""{"k": true}"""));
        await db.WriteAsync(DocumentOp.Put("other", "gone", Json("{}")) with { TtlSeconds = 0.001 });
        await Task.Delay(20);

        using var export = db.OpenExport("c");
        var seq = export.Seq;
        await db.PutAsync("c", "late", Json("{}"));                       // after the export opened: not in it
        var lines = Drain(export);
        Assert.Equal(3000, lines.Count);
        Assert.Equal(3000, export.Count);
        Assert.Equal("""{"_id":"d00000","n":0,"s":"\u00E9\n"}""", lines[0]);   // as stored: _id first, no _seq
        Assert.Equal(seq, db.Head.Seq - 1);

        using var all = db.OpenExport();
        var everything = Drain(all);
        Assert.Equal(["c", "other"], all.Collections);
        Assert.Equal(3002, everything.Count);                            // "late" now, "gone" expired
        Assert.Equal("""{"_coll":"other","_id":"x","k":true}""", everything[^1]);
        Assert.All(everything, line => JsonDocument.Parse(line).Dispose());

        Assert.Throws<InvalidNameException>(() => db.OpenExport("bad name!"));
    }

    private static List<string> Drain(DocumentExport export)
    {
        var output = new ArrayBufferWriter<byte>();
        while (export.WriteNext(output, 1000))
        {
        }

        return [.. Encoding.UTF8.GetString(output.WrittenSpan).Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;
}
