using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Quire.Keys;

namespace Quire.Query;

/// <summary>
/// A WHERE condition prepared for checking many documents: the literal parsed once, and
/// a check that reads a top-level scalar straight from the stored UTF-8 JSON. Fields that
/// are dotted paths or hold arrays or objects are left to <see cref="NqlSemantics"/> on
/// the parsed document. Hot path: a full scan checks every document this way.
/// </summary>
internal sealed class CompiledCondition
{
    private readonly byte[] _field;
    private readonly ExactNumber? _number;
    private readonly long? _integer;
    private readonly byte[]? _string;

    public CompiledCondition(NqlCondition condition)
    {
        Condition = condition;
        _field = Encoding.UTF8.GetBytes(condition.Field);
        IsSimple = !condition.Field.Contains('.', StringComparison.Ordinal);
        if (condition.Value.Kind == NqlValueKind.Number)
        {
            _number = ExactNumber.Parse(condition.Value.Text);
            if (long.TryParse(condition.Value.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
            {
                _integer = integer;
            }
        }
        else if (condition.Value.Kind == NqlValueKind.String)
        {
            _string = Encoding.UTF8.GetBytes(condition.Value.Text);
        }
    }

    public NqlCondition Condition { get; }

    /// <summary>False for a dotted path: only the parsed document can answer.</summary>
    public bool IsSimple { get; }

    /// <summary>
    /// Checks the condition against a stored document's JSON; null when the field holds an
    /// array or object (or is a dotted path), which only the parsed document can answer.
    /// </summary>
    public bool? TryMatch(ReadOnlySpan<byte> json, long seq)
    {
        if (!IsSimple)
        {
            return null;
        }

        if (Condition.Field == "_seq")
        {
            return Compare(ExactNumber.From(seq));
        }

        var reader = new Utf8JsonReader(json);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var match = reader.ValueTextEquals(_field);
            reader.Read();
            if (!match)
            {
                reader.Skip();
                continue;
            }

            return reader.TokenType switch
            {
                JsonTokenType.Number => CompareNumber(reader.ValueSpan),
                JsonTokenType.String => CompareString(ref reader),
                JsonTokenType.True or JsonTokenType.False => CompareBoolean(reader.TokenType == JsonTokenType.True),
                JsonTokenType.Null => Missing(),
                _ => null,
            };
        }

        return Missing();
    }

    private bool Missing() => Condition.Operator switch
    {
        NqlOperator.Equal => Condition.Value.Kind == NqlValueKind.Null,
        NqlOperator.NotEqual => Condition.Value.Kind != NqlValueKind.Null,
        _ => false,
    };

    /// <summary>Compares a JSON number token: two integers that fit 64 bits directly, anything else as exact decimals.</summary>
    private bool CompareNumber(ReadOnlySpan<byte> token)
    {
        if (_integer is { } literal && Utf8Parser.TryParse(token, out long value, out var consumed) && consumed == token.Length)
        {
            return Holds(value.CompareTo(literal));
        }

        return Compare(ExactNumber.Parse(Encoding.ASCII.GetString(token)));
    }

    private bool Compare(ExactNumber value)
    {
        if (_number is not { } literal)
        {
            return Condition.Operator == NqlOperator.NotEqual;
        }

        return Holds(ExactCompare(value, literal));
    }

    private bool CompareString(ref Utf8JsonReader reader)
    {
        if (_string is null)
        {
            return Condition.Operator == NqlOperator.NotEqual;
        }

        if (Condition.Operator is NqlOperator.Equal or NqlOperator.NotEqual)
        {
            return reader.ValueTextEquals(_string) == (Condition.Operator == NqlOperator.Equal);
        }

        var value = reader.ValueIsEscaped ? Encoding.UTF8.GetBytes(reader.GetString()!) : reader.ValueSpan;
        return Holds(value.SequenceCompareTo(_string));
    }

    private bool CompareBoolean(bool value)
    {
        var equal = Condition.Value.Kind == NqlValueKind.Boolean && (Condition.Value.Text == "true") == value;
        return Condition.Operator switch
        {
            NqlOperator.Equal => equal,
            NqlOperator.NotEqual => !equal,
            _ => false,
        };
    }

    private bool Holds(int order) => Condition.Operator switch
    {
        NqlOperator.Equal => order == 0,
        NqlOperator.NotEqual => order != 0,
        NqlOperator.Less => order < 0,
        NqlOperator.LessOrEqual => order <= 0,
        NqlOperator.Greater => order > 0,
        _ => order >= 0,
    };

    /// <summary>Orders two exact decimals: by sign, then exponent, then digits (reversed for negatives).</summary>
    private static int ExactCompare(ExactNumber a, ExactNumber b)
    {
        if (a.Sign != b.Sign)
        {
            return a.Sign.CompareTo(b.Sign);
        }

        if (a.Sign == 0)
        {
            return 0;
        }

        var magnitude = a.Exponent != b.Exponent ? a.Exponent.CompareTo(b.Exponent) : string.CompareOrdinal(a.Digits, b.Digits);
        return a.Sign * Math.Sign(magnitude);
    }
}
