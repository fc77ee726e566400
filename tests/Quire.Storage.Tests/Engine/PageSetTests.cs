using CsCheck;
using Quire.Storage.Engine;

namespace Quire.Storage.Tests.Engine;

/// <summary>The free-page bitmap behaves as a sorted set of page numbers would.</summary>
public class PageSetTests
{
    [Fact]
    public void Takes_the_lowest_page_first_even_after_a_lower_one_comes_back()
    {
        var set = new PageSet();
        set.UnionWith([700, 5, 64, 63]);
        Assert.Equal(5, set.TakeLowest());
        Assert.Equal(63, set.TakeLowest());
        Assert.True(set.Add(2));
        Assert.False(set.Add(64));
        Assert.Equal(2, set.TakeLowest());
        Assert.Equal(64, set.TakeLowest());
        Assert.Equal(700, set.TakeLowest());
        Assert.Equal(-1, set.TakeLowest());
        Assert.Equal(0, set.Count);
    }

    [Fact]
    public void Removing_what_is_not_there_changes_nothing()
    {
        var set = new PageSet();
        Assert.False(set.Remove(1_000_000));
        set.Add(3);
        Assert.False(set.Remove(4));
        Assert.True(set.Remove(3));
        Assert.False(set.Remove(3));
        Assert.Equal(0, set.Count);
    }

    [Fact]
    public void Matches_a_sorted_set_under_random_operations()
    {
        Gen.Int[0, int.MaxValue].Sample(
            seed =>
            {
                var random = new Random(seed);
                var set = new PageSet();
                var model = new SortedSet<long>();
                for (var i = 0; i < 2000; i++)
                {
                    var page = (long)random.Next(5000);
                    switch (random.Next(5))
                    {
                        case 0 or 1:
                            Assert.Equal(model.Add(page), set.Add(page));
                            break;
                        case 2:
                            Assert.Equal(model.Remove(page), set.Remove(page));
                            break;
                        case 3:
                            var lowest = model.Count == 0 ? -1 : model.Min;
                            model.Remove(lowest);
                            Assert.Equal(lowest, set.TakeLowest());
                            break;
                        default:
                            if (random.Next(50) == 0)
                            {
                                set.Clear();
                                model.Clear();
                            }

                            break;
                    }

                    Assert.Equal(model.Count, set.Count);
                }

                var members = new List<long>();
                set.CopyTo(members);
                Assert.Equal(model, members);
            },
            iter: 50,
            threads: 1);
    }
}
