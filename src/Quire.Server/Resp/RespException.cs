namespace Quire.Server.Resp;

/// <summary>A command's error reply, its message starting with the code Redis uses (<c>ERR</c>, <c>WRONGTYPE</c>, ...).</summary>
internal sealed class RespException(string message) : Exception(message);
