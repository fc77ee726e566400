using System.Text;

namespace Quire.Storage.Tests;

/// <summary>Short helpers so tests read as text.</summary>
internal static class Keys
{
    public static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    public static string S(byte[]? b) => b is null ? "<null>" : Encoding.UTF8.GetString(b);
}
