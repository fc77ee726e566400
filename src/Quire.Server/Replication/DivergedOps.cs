using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Quire.Databases;

namespace Quire.Server.Replication;

/// <summary>
/// A replica that holds ops its primary never had (an old primary pointed at the one that
/// replaced it): where the two forked, found by comparing chain heads (the primary's
/// <c>.../replication/head?seq=</c> against its own), and its ops after that point written
/// to a file beside its databases, so nothing is thrown away silently. Nothing of the
/// primary is applied on top of them.
/// </summary>
internal static class DivergedOps
{
    /// <summary>Finds the fork and writes the ops after it aside; the file and the fork seq.</summary>
    public static async Task<(string Path, long Fork, int Count)> KeepAsideAsync(HttpClient primary, Database db, CancellationToken cancellationToken)
    {
        // The chains agree up to the fork and never again: the last seq where they agree.
        var (low, high) = (-1L, db.Seq);
        while (low < high)
        {
            var mid = low + ((high - low + 1) / 2);
            if (await AgreeAsync(primary, db, mid, cancellationToken).ConfigureAwait(false))
            {
                low = mid;
            }
            else
            {
                high = mid - 1;
            }
        }

        var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var path = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(db.Directory)!, $".diverged-{db.Name}-{stamp}.jsonl");
        var count = 0;
        await using (var file = File.Create(path))
        {
            for (var after = low; ;)
            {
                var page = db.Since(after);
                foreach (var node in page.Nodes)
                {
                    using (var writer = new Utf8JsonWriter(file))
                    {
                        node.WriteTo(writer);
                    }

                    file.WriteByte((byte)'\n');
                    count++;
                }

                if (!page.HasMore || page.Nodes.Count == 0)
                {
                    break;
                }

                after = page.ToSeq;
            }

            await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            file.Flush(flushToDisk: true);
        }

        return (path, low, count);
    }

    private static async Task<bool> AgreeAsync(HttpClient primary, Database db, long seq, CancellationToken cancellationToken)
    {
        if (seq < 0)
        {
            return true;
        }

        using var answer = await primary.GetFromJsonAsync<JsonDocument>($"/v1/databases/{Uri.EscapeDataString(db.Name)}/replication/head?seq={seq}", cancellationToken).ConfigureAwait(false);
        var theirs = answer!.RootElement.GetProperty("head");
        return theirs.ValueKind == JsonValueKind.String && db.ChainHeadAt(seq) is { } mine && string.Equals(mine, theirs.GetString(), StringComparison.OrdinalIgnoreCase);
    }
}
