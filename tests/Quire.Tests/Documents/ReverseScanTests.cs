using static Quire.Tests.DocumentsFixture;

namespace Quire.Tests.Documents;

/// <summary>Reading a collection backwards sees what reading it forwards sees.</summary>
public class ReverseScanTests
{
    [Fact]
    public async Task The_last_document_is_the_one_written_last_in_id_order_while_writes_go_on()
    {
        using var f = new DocumentsFixture();
        for (var i = 0; i < 300; i++)
        {
            await f.Db.PutAsync("c", i.ToString("D5", System.Globalization.CultureInfo.InvariantCulture), Json("{}"));
            var last = f.Db.Scan("c", reverse: true).First().Id;
            Assert.Equal(i.ToString("D5", System.Globalization.CultureInfo.InvariantCulture), last);
            Assert.Equal(f.Db.Scan("c").Select(d => d.Id).Reverse(), f.Db.Scan("c", reverse: true).Select(d => d.Id));
        }

        Assert.Equal(["00002", "00001", "00000"], f.Db.Scan("c", "00003", reverse: true).Select(d => d.Id));
    }
}
