"""notes/textdiff.py: word-level differences, as HTML, as a size, and as edits."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notes.textdiff import DELETE, EQUAL, INSERT, change_size, diff, diff_html, edits


@pytest.mark.parametrize(
    ("old", "new", "html"),
    [
        (
            "the quick brown fox",
            "the slow brown fox",
            "the <del>quick</del><ins>slow</ins> brown fox",
        ),
        ("a b c", "x y z", "<del>a b c</del><ins>x y z</ins>"),
        ("", "new text", "<ins>new text</ins>"),
        ("old text", "", "<del>old text</del>"),
        ("same", "same", "same"),
        ("one two", "one, two", "one<ins>,</ins> two"),
        ("a <b> & c", "a <i> & c", "a &lt;<del>b</del><ins>i</ins>&gt; &amp; c"),
        (
            "# Title\n\n- one\n- two\n",
            "# Title\n\n- one\n- three\n- four\n",
            "# Title\n\n- one\n- <del>two</del><ins>three</ins>\n<ins>- four\n</ins>",
        ),
        ("line one\nline two\n", "line one\n", "line one\n<del>line two\n</del>"),
        ("spacing  here", "spacing here", "spacing<del>  </del><ins> </ins>here"),
        ("Café au lait", "Café noir", "Café <del>au lait</del><ins>noir</ins>"),
    ],
)
def test_diff_html_of_known_pairs(old, new, html):
    assert diff_html(old, new) == html


def test_change_size_counts_characters_of_changed_words():
    assert change_size("the quick brown fox", "the slow brown fox") == (4, 5)
    assert change_size("", "abc") == (3, 0)
    assert change_size("same", "same") == (0, 0)


def test_edits_of_a_known_pair():
    assert edits("the quick brown fox", "the slow brown fox") == [(4, 9, "slow")]
    assert edits("a", "a b") == [(1, 1, " b")]
    assert edits("keep", "keep") == []


texts = st.text(alphabet="ab c,\né😀", max_size=60)


@given(old=texts, new=texts)
def test_applying_the_edits_from_last_to_first_gives_the_new_text(old, new):
    result = old
    for start, end, insert in reversed(edits(old, new)):
        result = result[:start] + insert + result[end:]
    assert result == new


lines = st.lists(st.sampled_from(["- one\n", "- two\n", "\n", "## Part\n", "- three x\n", "y"]))


@given(old=st.builds("".join, lines), new=st.builds("".join, lines))
def test_the_difference_holds_both_texts(old, new):
    segments = diff(old, new)

    assert "".join(s.text for s in segments if s.op in (EQUAL, DELETE)) == old
    assert "".join(s.text for s in segments if s.op in (EQUAL, INSERT)) == new
