"""core.ui.text.fill: every field of a catalogue text is escaped for where it lands."""

from __future__ import annotations

from core.ui.text import Markdown, code_span, fill, joined, plain


def test_a_field_outside_code_spans_is_escaped_and_a_number_is_written_for_the_language():
    out = fill("Model {name}: {rows:@# row|# rows}", "de", {"name": "**m** ![i](https&colon;x)", "rows": 1200})
    assert out == "Model \\*\\*m\\*\\* !\\[i\\](https\\&colon;x): 1.200 rows"  # mid-line "1.200" is no list
    assert isinstance(out, Markdown)


def test_a_field_inside_a_code_span_gets_a_fence_no_backtick_in_it_can_close():
    assert fill("`models:/{name}@{alias}` → **{v}**", "en", {"name": "a`b", "alias": "prod", "v": 3}) == (
        "``models:/a`b@prod`` → **3**"
    )
    assert fill("`{name}`", "en", {"name": "``x"}) == "``` ``x ```"  # padded: it starts with a backtick
    assert fill("`{name}`", "en", {"name": "a\n\nb"}) == "`a  b`"  # a blank line would end the paragraph


def test_a_field_that_starts_a_line_cannot_start_a_block():
    assert fill("{a}\n{b}", "en", {"a": "# head", "b": "1. item"}) == "\\# head\n1\\. item"


def test_markdown_of_ours_goes_in_as_it_is_and_plain_leaves_it_alone():
    lines = Markdown("- a\n- b")
    assert fill("Alerts:\n{lines}", "en", {"lines": lines}) == "Alerts:\n- a\n- b"
    assert plain(plain("*x*")) == "\\*x\\*"  # escaped once, however often asked
    assert fill("{x}", "en", {"x": fill("**{n}**", "en", {"n": "*"})}) == "**\\***"


def test_joining_markdown_with_other_text_escapes_the_other_text():
    joined_text = Markdown("**a**") + " <b>" + Markdown("*c*")
    assert joined_text == "**a** \\<b\\>*c*" and isinstance(joined_text, Markdown)
    assert "<i>" + Markdown("x") == "\\<i\\>x"
    assert joined(["a_", "[b]"]) == "a\\_, \\[b\\]"


def test_a_text_without_fields_is_the_catalogue_text():
    assert fill("**Next:** go on `{not a field}`", "en", {}) == "**Next:** go on `{not a field}`"


def test_code_span_of_plain_content_is_one_backtick_pair():
    assert code_span("abc") == "`abc`"
