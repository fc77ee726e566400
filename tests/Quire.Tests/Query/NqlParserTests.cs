using Quire.Query;

namespace Quire.Tests.Query;

public class NqlParserTests
{
    [Fact]
    public void Every_clause_parses_in_order_with_keywords_in_any_case()
    {
        var q = NqlParser.Parse("""from Blocks where height >= 10 AND miner != 'm7' and a.b = true And x < -1.5e3 search "big Fox" Order By height desc traverse mined_by LIMIT 5 group by miner sum size""");
        Assert.Equal("Blocks", q.Collection);
        Assert.Equal(
            [
                new NqlCondition("height", NqlOperator.GreaterOrEqual, new NqlValue(NqlValueKind.Number, "10")),
                new NqlCondition("miner", NqlOperator.NotEqual, new NqlValue(NqlValueKind.String, "m7")),
                new NqlCondition("a.b", NqlOperator.Equal, new NqlValue(NqlValueKind.Boolean, "true")),
                new NqlCondition("x", NqlOperator.Less, new NqlValue(NqlValueKind.Number, "-1.5e3")),
            ],
            q.Where);
        Assert.Equal("big Fox", q.Search);
        Assert.Equal("height", q.OrderBy);
        Assert.True(q.Descending);
        Assert.Equal("mined_by", q.Traverse);
        Assert.Equal(5, q.Limit);
        Assert.Equal(new NqlGroupBy("miner", NqlAggregate.Sum, "size"), q.GroupBy);
        Assert.False(q.Explain);
    }

    [Theory]
    [InlineData("FROM c WHERE a = 1", NqlOperator.Equal)]
    [InlineData("FROM c WHERE a != 1", NqlOperator.NotEqual)]
    [InlineData("FROM c WHERE a < 1", NqlOperator.Less)]
    [InlineData("FROM c WHERE a <= 1", NqlOperator.LessOrEqual)]
    [InlineData("FROM c WHERE a > 1", NqlOperator.Greater)]
    [InlineData("FROM c WHERE a>=1", NqlOperator.GreaterOrEqual)]
    public void Each_operator_parses(string text, NqlOperator op) => Assert.Equal(op, NqlParser.Parse(text).Where[0].Operator);

    [Theory]
    [InlineData("FROM c WHERE a = 42", NqlValueKind.Number, "42")]
    [InlineData("FROM c WHERE a = \"two words\"", NqlValueKind.String, "two words")]
    [InlineData("FROM c WHERE a = 'single \\' quote'", NqlValueKind.String, "single ' quote")]
    [InlineData("FROM c WHERE a = TRUE", NqlValueKind.Boolean, "true")]
    [InlineData("FROM c WHERE a = false", NqlValueKind.Boolean, "false")]
    [InlineData("FROM c WHERE a = null", NqlValueKind.Null, "null")]
    [InlineData("FROM c WHERE a = active", NqlValueKind.String, "active")]
    [InlineData("FROM c WHERE _id = kv:a-1", NqlValueKind.String, "kv:a-1")]
    [InlineData("FROM c WHERE a = .5", NqlValueKind.Number, "0.5")]
    public void Each_kind_of_value_parses(string text, NqlValueKind kind, string value) =>
        Assert.Equal(new NqlValue(kind, value), NqlParser.Parse(text).Where[0].Value);

    [Theory]
    [InlineData("FROM c GROUP BY s", NqlAggregate.Count, null)]
    [InlineData("FROM c GROUP BY s COUNT", NqlAggregate.Count, null)]
    [InlineData("FROM c GROUP BY s SUM n", NqlAggregate.Sum, "n")]
    [InlineData("FROM c GROUP BY s AVG n", NqlAggregate.Avg, "n")]
    [InlineData("FROM c GROUP BY s MIN n", NqlAggregate.Min, "n")]
    [InlineData("FROM c GROUP BY s MAX n", NqlAggregate.Max, "n")]
    public void Each_aggregate_parses(string text, NqlAggregate aggregate, string? field) =>
        Assert.Equal(new NqlGroupBy("s", aggregate, field), NqlParser.Parse(text).GroupBy);

    [Fact]
    public void Explain_and_the_contract_examples_parse()
    {
        Assert.True(NqlParser.Parse("EXPLAIN FROM blocks ORDER BY height DESC LIMIT 10").Explain);
        Assert.False(NqlParser.Parse("FROM users WHERE status = \"active\" ORDER BY age ASC").Descending);
        Assert.Equal(NqlAggregate.Count, NqlParser.Parse("FROM users GROUP BY status COUNT").GroupBy!.Aggregate);
        Assert.Equal(10, NqlParser.Parse("FROM blocks ORDER BY height DESC LIMIT 10").Limit);
    }

    [Theory]
    [InlineData("", 0, "FROM", "the end of the query")]
    [InlineData("SELECT * FROM c", 0, "FROM", "'SELECT'")]
    [InlineData("FROM", 4, "a collection name", "the end of the query")]
    [InlineData("FROM c WHERE", 12, "a field name", "the end of the query")]
    [InlineData("FROM c WHERE a", 14, "an operator (= != < <= > >=)", "the end of the query")]
    [InlineData("FROM c WHERE a ==", 16, "a value (number, \"string\", 'string', true, false, null or a word)", "'='")]
    [InlineData("FROM c WHERE a = 1 OR b = 2", 19, "AND, SEARCH, ORDER BY, TRAVERSE, LIMIT, GROUP BY or the end of the query", "'OR'")]
    [InlineData("FROM c ORDER height", 13, "BY", "'height'")]
    [InlineData("FROM c LIMIT ten", 13, "a row count", "'ten'")]
    [InlineData("FROM c LIMIT 1.5", 13, "a whole, non-negative row count", "'1.5'")]
    [InlineData("FROM c SEARCH fox", 14, "a quoted search text", "'fox'")]
    [InlineData("FROM c WHERE a = \"open", 17, "a closing \" for the string starting here", "the end of the query")]
    [InlineData("FROM c LIMIT 5 ORDER BY a", 15, "GROUP BY or the end of the query", "'ORDER'")]
    [InlineData("FROM c WHERE a ! 1", 15, "an operator (= != < <= > >=)", "'!'")]
    [InlineData("FROM c WHERE a = 1e", 19, "the digits of an exponent", "the end of the query")]
    [InlineData("FROM c GROUP BY s SUM", 21, "a field to SUM", "the end of the query")]
    public void Errors_name_the_position_and_what_was_expected(string text, int position, string expected, string found)
    {
        var error = Assert.Throws<NqlSyntaxException>(() => NqlParser.Parse(text));
        Assert.Equal((position, expected, found), (error.Position, error.Expected, error.Found));
        Assert.Equal($"at column {position + 1}: expected {expected}, found {found}", error.Message);
    }

    [Fact]
    public void As_of_takes_a_whole_seq_and_combines_with_valid_as_of()
    {
        var query = NqlParser.Parse("FROM policy AS OF 200 VALID AS OF \"2024-02-15\"");
        Assert.Equal(200, query.AsOf);
        Assert.Equal("2024-02-15", query.ValidAsOf);
        Assert.Null(NqlParser.Parse("FROM policy").AsOf);
        Assert.Throws<NqlSyntaxException>(() => NqlParser.Parse("FROM policy AS OF 1.5"));
        Assert.Throws<NqlSyntaxException>(() => NqlParser.Parse("FROM policy AS OF -3"));
        Assert.Throws<NqlSyntaxException>(() => NqlParser.Parse("FROM policy AS OF \"yesterday\""));
    }

    [Theory]
    [InlineData("FROM policy VALID AS OF \"2024-02-15\"")]
    [InlineData("FROM policy WHERE kind = a VALID AS OF '2024-02-15' LIMIT 3")]
    public void Valid_as_of_comes_before_or_after_where(string text) =>
        Assert.Equal("2024-02-15", NqlParser.Parse(text).ValidAsOf);

    [Fact]
    public void Trace_names_its_field_and_may_be_reversed()
    {
        Assert.Equal(new NqlTrace(Reverse: true), NqlParser.Parse("FROM c TRACE caused_by REVERSE LIMIT 5").Trace);
        Assert.Equal(new NqlTrace(Reverse: false), NqlParser.Parse("FROM c WHERE a = 1 TRACE caused_by").Trace);
        Assert.Throws<NqlSyntaxException>(() => NqlParser.Parse("FROM c VALID AS OF \"x\" WHERE a = 1 VALID AS OF \"y\""));
    }
}
