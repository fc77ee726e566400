namespace Quire.Server.Tests.History;

/// <summary>
/// A register, the model each key is checked against: the states an operation may leave
/// when applied to <c>state</c>, none when its answer is impossible there. An operation cut
/// off by a kill may have happened or not: both are possible.
/// </summary>
internal static class RegisterModel
{
    public static IEnumerable<string?> Next(string? state, HistoryOp op)
    {
        switch (op.Kind, op.Outcome)
        {
            case (OpKind.Read, Outcome.Ok):
                if (state == op.Observed)
                {
                    yield return state;
                }

                break;
            case (OpKind.Read, _):
                yield return state;
                break;
            case (OpKind.Write, Outcome.Ok):
                yield return op.Value;
                break;
            case (OpKind.Write, _):
                yield return op.Value;
                yield return state;
                break;
            case (OpKind.CompareAndSet, Outcome.Ok):
                if (state == op.Expected)
                {
                    yield return op.Value;
                }

                break;
            case (OpKind.CompareAndSet, Outcome.Failed):
                if (state != op.Expected)
                {
                    yield return state;
                }

                break;
            default:
                if (state == op.Expected)
                {
                    yield return op.Value;
                }

                yield return state;
                break;
        }
    }
}
