using Quire.Documents;
using static Quire.Tests.DocumentsFixture;

namespace Quire.Tests.Documents;

/// <summary>Conditional puts racing for the same free ids: none is lost.</summary>
public class RacingPutTests
{
    [Fact]
    public async Task Appends_that_pin_the_tail_and_a_free_id_lose_nothing()
    {
        using var f = new DocumentsFixture();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(c => Task.Run(async () =>
        {
            for (var i = 0; i < 30; i++)
            {
                while (true)
                {
                    var tail = f.Db.Scan("c", reverse: i % 2 == 0).FirstOrDefault();
                    var next = tail is null ? 1_000_000 : int.Parse(tail.Id, System.Globalization.CultureInfo.InvariantCulture) + (i % 2 == 0 ? 1 : -1);
                    var id = next.ToString("D7", System.Globalization.CultureInfo.InvariantCulture);
                    List<DocumentOp> ops = [DocumentOp.Put("c", id, Json($$"""{"v": "{{c}}:{{i}}"}"""), -1)];
                    if (tail is not null)
                    {
                        ops.Add(DocumentOp.Check("c", tail.Id, tail.Seq));
                    }

                    try
                    {
                        await f.Db.BatchAsync(ops);
                        break;
                    }
                    catch (PreconditionFailedException)
                    {
                    }
                }
            }
        })));

        Assert.Equal(240, f.Db.Scan("c").Count());
    }
}
