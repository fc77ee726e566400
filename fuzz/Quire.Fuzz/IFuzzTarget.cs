namespace Quire.Fuzz;

/// <summary>
/// One parser that takes outside bytes. <see cref="Run"/> feeds it one input: the errors
/// the parser is meant to give for bad input are caught inside; anything that escapes is a
/// bug (afl-fuzz records it as a crash).
/// </summary>
internal interface IFuzzTarget
{
    /// <summary>The target's name: its corpus is <c>fuzz/corpus/&lt;name&gt;</c>, its dictionary <c>fuzz/dict/&lt;name&gt;.dict</c>.</summary>
    string Name { get; }

    void Run(byte[] input);
}
