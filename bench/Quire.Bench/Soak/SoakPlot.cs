using System.Globalization;
using System.Text;

namespace Quire.Bench.Soak;

/// <summary>The soak's minutes as an SVG line chart: RSS (MB) and put p99 (ms), each on its own scale, kills marked.</summary>
internal static class SoakPlot
{
    public static string Svg(IReadOnlyList<SoakMinute> rows)
    {
        const int Width = 720, Height = 300, Left = 50, Right = 50, Top = 20, Bottom = 40;
        var plotWidth = Width - Left - Right;
        var plotHeight = Height - Top - Bottom;
        var maxRss = Math.Max(1, rows.Max(r => r.RssMb)) * 1.1;
        var maxP99 = Math.Max(1, rows.Max(r => r.PutP99Ms)) * 1.1;
        double X(int minute) => Left + (rows.Count == 1 ? 0 : (minute - 1) * plotWidth / (double)(rows.Count - 1));
        double Y(double value, double max) => Top + plotHeight - value / max * plotHeight;
        string Line(Func<SoakMinute, double> value, double max) =>
            string.Join(' ', rows.Select(r => string.Create(CultureInfo.InvariantCulture, $"{X(r.Minute):F1},{Y(value(r), max):F1}")));
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" font-family=\"sans-serif\" font-size=\"11\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotWidth}\" height=\"{plotHeight}\" fill=\"none\" stroke=\"#999\"/>\n");
        foreach (var kill in rows.Where(r => r.Kills > 0))
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(kill.Minute):F1}\" y1=\"{Top}\" x2=\"{X(kill.Minute):F1}\" y2=\"{Top + plotHeight}\" stroke=\"#ddd\"/>\n");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"{Line(r => r.RssMb, maxRss)}\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\" points=\"{Line(r => r.PutP99Ms, maxP99)}\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"{Height - 22}\">minute 1</text><text x=\"{Width - Right - 50}\" y=\"{Height - 22}\">minute {rows.Count}</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"5\" y=\"{Top + 10}\" fill=\"#1f77b4\">{maxRss:F0} MB</text><text x=\"{Width - Right + 3}\" y=\"{Top + 10}\" fill=\"#d62728\">{maxP99:F0} ms</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"{Height - 6}\"><tspan fill=\"#1f77b4\">server RSS (MB, left)</tspan>   <tspan fill=\"#d62728\">put p99 (ms, right)</tspan>   <tspan fill=\"#999\">grey lines: SIGKILL and restart</tspan></text>\n");
        svg.Append("</svg>\n");
        return svg.ToString();
    }
}
