using System.Globalization;
using Microsoft.AspNetCore.Http;
using Quire.Server.Service;

namespace Quire.Server.Http.Routes;

/// <summary>Versioned files: store a version, read one, read a version's Merkle root.</summary>
internal sealed class FileRoutes(QuireService service)
{
    /// <summary>POST .../files <c>{name, data_b64, tier?}</c>: 201 <c>{name, version, root, size, tier}</c>.</summary>
    public async Task Put(HttpContext context, string name)
    {
        var db = service.Get(name);
        using var body = await Bodies.ReadAsync(context, service).ConfigureAwait(false);
        var (file, base64) = (RequestFields.String(body.RootElement, "name"), RequestFields.String(body.RootElement, "data_b64"));
        if (string.IsNullOrEmpty(file) || base64 is null)
        {
            throw ServiceException.BadInput("name and data_b64 are required");
        }

        byte[] data;
        try
        {
            data = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            throw ServiceException.BadInput("data_b64 is not base64");
        }

        var tier = RequestFields.String(body.RootElement, "tier") ?? "warm";
        var stored = await CommitDeadline.RunAsync(service.Options.QueueWait, token => db.PutFileAsync(file, data, tier, token), context.RequestAborted).ConfigureAwait(false);
        await JsonResponse.WriteAsync(context, 201, w =>
        {
            w.WriteStartObject();
            w.WriteString("name", stored.Name);
            w.WriteNumber("version", stored.Version);
            w.WriteString("root", stored.Root);
            w.WriteNumber("size", stored.Size);
            w.WriteString("tier", stored.Tier);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    /// <summary>GET .../files/&lt;name&gt;?version=N&amp;tier=T: <c>{name, version, data_b64, size, tier}</c>; with <paramref name="rootOnly"/>, <c>{name, version, root, tier}</c>.</summary>
    public Task Get(HttpContext context, string name, string file, bool rootOnly)
    {
        var db = service.Get(name);
        var tier = context.Request.Query.TryGetValue("tier", out var t) ? t.ToString() : "warm";
        long? version = null;
        if (context.Request.Query.TryGetValue("version", out var text))
        {
            version = long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) && v >= -1
                ? (v == -1 ? null : v)
                : throw ServiceException.BadInput("version must be an integer (-1: the latest)");
        }

        var stored = db.GetFile(file, version, tier) ?? throw ServiceException.NotFound(version is null ? $"no file {file}" : $"no version {version} of file {file}");
        return JsonResponse.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("name", stored.Name);
            w.WriteNumber("version", stored.Version);
            if (rootOnly)
            {
                w.WriteString("root", stored.Root);
            }
            else
            {
                w.WriteString("data_b64", Convert.ToBase64String(stored.Data!));
                w.WriteNumber("size", stored.Size);
            }

            w.WriteString("tier", stored.Tier);
            w.WriteEndObject();
        });
    }
}
