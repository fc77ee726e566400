using System.Text;

namespace Quire.Fuzz.Targets;

/// <summary>NQL text: parsed, planned and run against a small database with every index kind.</summary>
internal sealed class NqlTarget : IFuzzTarget
{

    public string Name => "nql";

    public void Run(byte[] input)
    {
        try
        {
            FuzzDatabase.Shared.Query(Encoding.UTF8.GetString(input));
        }
        catch (Exception ex) when (Rejection.IsClientError(ex))
        {
            // A syntax error or a query that cannot run: a 400.
        }
    }
}
