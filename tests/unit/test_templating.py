"""The template sandbox: what an owner may save, and what is refused with a pointer to the problem."""
import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, strategies as st

from practice.templating import TemplateProblem, check, normalise, render, text_to_html, variables_used

VALUES = {"client_name": "Anna de Vries", "date": "maandag 2 november 2026", "time": "09:30",
          "practice_name": "Fysio <Noord>", "reschedule_link": ""}


def problem(source: str) -> TemplateProblem:
    with pytest.raises(TemplateProblem) as caught:
        check(source)
    return caught.value


def test_known_variables_conditions_and_filters_render():
    source = "Beste {{ client_name|upper }},\n{% if reschedule_link %}link{% else %}geen link{% endif %} {{ time }}"
    assert render(source, VALUES) == "Beste ANNA DE VRIES,\ngeen link 09:30"


def test_syntax_error_names_the_line():
    found = problem("Hallo\n{{ client_name ")
    assert found.kind == "syntax" and found.line == 2


def test_unknown_variable_is_named():
    found = problem("Hallo {{ clientname }}")
    assert (found.kind, found.detail, found.line) == ("unknown_variable", "clientname", 1)


@pytest.mark.parametrize("source", [
    "{{ client_name.__class__ }}",
    "{{ client_name.upper() }}",
    "{{ client_name['x'] }}",
    "{{ ''.__class__.__mro__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ lipsum }}",
    "{% set x = 1 %}",
    "{% include 'base.html' %}",
    "{% import 'x' as y %}",
    "{% extends 'base.html' %}",
    "{% for c in client_name %}{{ c }}{% endfor %}",
    "{{ client_name|attr('__class__') }}",
    "{{ _private }}",
    "{% macro m() %}{% endmacro %}",
])
def test_reaching_for_python_internals_is_refused(source):
    assert problem(source).kind in {"forbidden", "unknown_variable"}


def test_a_too_long_template_is_refused():
    assert problem("x" * 10_001).kind == "too_long"


def test_html_rendering_escapes_variables_text_does_not():
    assert render("{{ practice_name }}", VALUES, html=True) == "Fysio &lt;Noord&gt;"
    assert render("{{ practice_name }}", VALUES) == "Fysio <Noord>"


def test_normalise_turns_crlf_into_lf_and_text_into_nfc():
    assert normalise("a\r\nb\rc") == "a\nb\nc"
    assert normalise("Cafe\u0301") == "Café"


def test_variables_used_in_editor_order():
    assert variables_used("{{ time }} {{ client_name }} {{ time }}") == ["client_name", "time"]


@given(st.text(alphabet=st.characters(blacklist_characters="{}%#"), max_size=300))
def test_saved_plain_text_renders_as_itself(text):
    saved = normalise(text)
    assert render(saved, VALUES) == saved


def test_text_to_html_makes_paragraphs_breaks_and_links_and_escapes_the_rest():
    html = text_to_html("Beste <b> & co,\n\nVerplaats via https://p.test/r/Ab-1?x=1&y=2.\nGroet\n")
    assert html == ('<p>Beste &lt;b&gt; &amp; co,</p>\n<p>Verplaats via <a href="https://p.test/r/Ab-1?x=1&amp;y=2">'
                    'https://p.test/r/Ab-1?x=1&amp;y=2</a>.<br>\nGroet</p>\n')


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


@given(st.text(max_size=300))
def test_text_to_html_keeps_every_character_of_the_text_and_adds_only_its_own_tags(text):
    reader = _Reader()
    reader.feed(text_to_html(text))
    reader.close()
    assert set(reader.tags) <= {"p", "br", "a"}
    paragraphs = [paragraph.strip("\n") for paragraph in re.split(r"\n[ \t]*\n", text) if paragraph.strip()]
    assert "".join(reader.text) == "".join(paragraph + "\n" for paragraph in paragraphs)
