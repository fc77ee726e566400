using System.Globalization;
using Quire.Keys;

namespace Quire.Query;

/// <summary>
/// Parses nedbd's NQL: <c>[EXPLAIN] FROM c [AS OF n] [VALID AS OF "date"] [WHERE f op v (AND f op v)*]
/// [SEARCH "text"] [ORDER BY f [ASC|DESC]] [TRAVERSE rel] [TRACE caused_by [REVERSE]] [LIMIT n]
/// [GROUP BY f [COUNT|SUM f|AVG f|MIN f|MAX f]]</c>, clauses in that order, keywords in any
/// case. <c>AS OF n</c> takes a seq (a whole number); whether the history kept reaches
/// it is the database's to say.
/// </summary>
public sealed class NqlParser
{
    private readonly List<NqlToken> _tokens;
    private int _next;

    private NqlParser(string text)
    {
        _tokens = NqlLexer.Tokenize(text);
    }

    /// <summary>Parses a query.</summary>
    /// <exception cref="NqlSyntaxException">It does not parse; the message says where and what was expected.</exception>
    /// <exception cref="NqlException">It uses a clause Quire does not support yet.</exception>
    public static NqlQuery Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new NqlParser(text).Query();
    }

    private NqlToken Peek => _tokens[_next];

    /// <summary>The date of a <c>VALID AS OF "date"</c> clause here, or null.</summary>
    private string? ValidAsOf()
    {
        if (!Peek.IsKeyword("VALID"))
        {
            return null;
        }

        Expect("VALID");
        Expect("AS");
        Expect("OF");
        var date = Peek.Text;
        ExpectKind(NqlTokenKind.String, "a date string");
        return date;
    }

    private NqlQuery Query()
    {
        var explain = Accept("EXPLAIN");
        Expect("FROM");
        var collection = Name("a collection name");
        long? asOf = null;
        if (Accept("AS"))
        {
            Expect("OF");
            var token = Peek;
            ExpectKind(NqlTokenKind.Number, "a seq");
            if (!long.TryParse(token.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
            {
                throw new NqlSyntaxException(token.Position, "a seq (a whole, non-negative number)", token.Describe());
            }

            asOf = seq;
        }

        var validAsOf = ValidAsOf();
        var where = new List<NqlCondition>();
        if (Accept("WHERE"))
        {
            do
            {
                where.Add(Condition());
            }
            while (Accept("AND"));
        }

        // nedbd allows VALID AS OF before WHERE or after it, once.
        if (validAsOf is null)
        {
            validAsOf = ValidAsOf();
        }

        string? search = null;
        if (Accept("SEARCH"))
        {
            search = Peek.Text;
            ExpectKind(NqlTokenKind.String, "a quoted search text");
        }

        string? orderBy = null;
        var descending = false;
        if (Accept("ORDER"))
        {
            Expect("BY");
            orderBy = Name("a field to order by");
            if (Accept("DESC"))
            {
                descending = true;
            }
            else
            {
                Accept("ASC");
            }
        }

        string? traverse = null;
        if (Accept("TRAVERSE"))
        {
            traverse = Name("a relation name");
        }

        NqlTrace? trace = null;
        if (Accept("TRACE"))
        {
            Name("caused_by");   // nedbd names the field and follows _caused_by whatever the name
            trace = new NqlTrace(Accept("REVERSE"));
        }

        long? limit = null;
        if (Accept("LIMIT"))
        {
            var token = Peek;
            ExpectKind(NqlTokenKind.Number, "a row count");
            if (!long.TryParse(token.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                throw new NqlSyntaxException(token.Position, "a whole, non-negative row count", token.Describe());
            }

            limit = n;
        }

        NqlGroupBy? groupBy = null;
        if (Accept("GROUP"))
        {
            Expect("BY");
            var field = Name("a field to group by");
            var aggregate = NqlAggregate.Count;
            string? aggregateField = null;
            if (Accept("COUNT"))
            {
                aggregate = NqlAggregate.Count;
            }
            else if (TryAggregate(out var kind))
            {
                aggregate = kind;
                aggregateField = Name($"a field to {kind.ToString().ToUpperInvariant()}");
            }

            groupBy = new NqlGroupBy(field, aggregate, aggregateField);
        }

        if (Peek.Kind != NqlTokenKind.End)
        {
            throw new NqlSyntaxException(Peek.Position, NextClauses(where.Count > 0, search, orderBy, traverse, limit, groupBy), Peek.Describe());
        }

        return new NqlQuery
        {
            Collection = collection,
            AsOf = asOf,
            Where = where,
            Search = search,
            OrderBy = orderBy,
            Descending = descending,
            Traverse = traverse,
            Trace = trace,
            Limit = limit,
            ValidAsOf = validAsOf,
            GroupBy = groupBy,
            Explain = explain,
        };
    }

    private NqlCondition Condition()
    {
        var field = Name("a field name");
        var token = Peek;
        if (token.Kind != NqlTokenKind.Operator)
        {
            throw new NqlSyntaxException(token.Position, "an operator (= != < <= > >=)", token.Describe());
        }

        _next++;
        var op = token.Text switch
        {
            "=" => NqlOperator.Equal,
            "!=" => NqlOperator.NotEqual,
            "<" => NqlOperator.Less,
            "<=" => NqlOperator.LessOrEqual,
            ">" => NqlOperator.Greater,
            _ => NqlOperator.GreaterOrEqual,
        };
        return new NqlCondition(field, op, Value());
    }

    private NqlValue Value()
    {
        var token = Peek;
        switch (token.Kind)
        {
            case NqlTokenKind.Number:
                _next++;
                try
                {
                    _ = ExactNumber.Parse(token.Text);
                }
                catch (FormatException)
                {
                    throw new NqlSyntaxException(token.Position, "a number within range", token.Describe());
                }

                return new NqlValue(NqlValueKind.Number, token.Text);
            case NqlTokenKind.String:
                _next++;
                return new NqlValue(NqlValueKind.String, token.Text);
            case NqlTokenKind.Word:
                _next++;
                return token.Text.ToLowerInvariant() switch
                {
                    "true" or "false" => new NqlValue(NqlValueKind.Boolean, token.Text.ToLowerInvariant()),
                    "null" => new NqlValue(NqlValueKind.Null, "null"),
                    _ => new NqlValue(NqlValueKind.String, token.Text), // a bare word is a string
                };
            default:
                throw new NqlSyntaxException(token.Position, "a value (number, \"string\", 'string', true, false, null or a word)", token.Describe());
        }
    }

    private bool TryAggregate(out NqlAggregate aggregate)
    {
        foreach (var (keyword, kind) in new[] { ("SUM", NqlAggregate.Sum), ("AVG", NqlAggregate.Avg), ("MIN", NqlAggregate.Min), ("MAX", NqlAggregate.Max) })
        {
            if (Accept(keyword))
            {
                aggregate = kind;
                return true;
            }
        }

        aggregate = default;
        return false;
    }

    private string Name(string what)
    {
        var token = Peek;
        if (token.Kind != NqlTokenKind.Word || IsReserved(token.Text))
        {
            throw new NqlSyntaxException(token.Position, what, token.Describe());
        }

        _next++;
        return token.Text;
    }

    private static bool IsReserved(string word) => word.ToUpperInvariant() is
        "FROM" or "WHERE" or "AND" or "SEARCH" or "ORDER" or "BY" or "TRAVERSE" or "TRACE" or "LIMIT" or "GROUP" or "AS" or "ASC" or "DESC";

    private bool Accept(string keyword)
    {
        if (Peek.IsKeyword(keyword))
        {
            _next++;
            return true;
        }

        return false;
    }

    private void Expect(string keyword)
    {
        if (!Accept(keyword))
        {
            throw new NqlSyntaxException(Peek.Position, keyword, Peek.Describe());
        }
    }

    private void ExpectKind(NqlTokenKind kind, string what)
    {
        if (Peek.Kind != kind)
        {
            throw new NqlSyntaxException(Peek.Position, what, Peek.Describe());
        }

        _next++;
    }

    /// <summary>What may follow, given the clauses seen: for the error when something else does.</summary>
    private static string NextClauses(bool where, string? search, string? orderBy, string? traverse, long? limit, NqlGroupBy? groupBy)
    {
        var options = new List<string>();
        if (groupBy is null)
        {
            if (limit is null)
            {
                if (traverse is null)
                {
                    if (orderBy is null)
                    {
                        if (search is null)
                        {
                            options.Add(where ? "AND" : "WHERE");
                            options.Add("SEARCH");
                        }

                        options.Add("ORDER BY");
                    }

                    options.Add("TRAVERSE");
                }

                options.Add("LIMIT");
            }

            options.Add("GROUP BY");
        }

        return options.Count == 0 ? "the end of the query" : string.Join(", ", options) + " or the end of the query";
    }
}
