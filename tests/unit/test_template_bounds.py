"""Templates stay bounded: what the check accepts fills in within its part's limit, whatever the names.
The work of a fill-in is bounded the same way (every intermediate value within the limit, at most MAX_NODES
nodes); a wall-clock bound here would only measure the machine."""
import pytest
from hypothesis import given, settings, strategies as st

from practice.messages.defaults import DEFAULTS
from practice.enums import Channel
from practice.templating import (LIMITS, MAX_DEPTH, MAX_NODES, VARIABLE_MAX_LENGTHS, VARIABLE_ORDER,
                                 TemplateProblem, check, longest, render)

SEVEN_REPLACES = "{{ client_name" + '|replace("a","aaaaaaaaaa")' * 7 + " }}"
LONGEST = {name: "a" * length for name, length in VARIABLE_MAX_LENGTHS.items()}


def problem(source: str, part: str = "text") -> TemplateProblem:
    with pytest.raises(TemplateProblem) as caught:
        check(source, part)
    return caught.value


def test_every_variable_has_a_maximum_length():
    assert set(VARIABLE_MAX_LENGTHS) == set(VARIABLE_ORDER)


def test_a_replace_count_too_large_for_python_is_refused_when_saved():
    found = problem('{{ client_name|replace("a", "b", 99999999999999999999) }}')
    assert (found.kind, found.line, found.limit) == ("number_too_big", 1, 100_000)


def test_chained_replaces_that_multiply_the_text_are_refused_for_sms_and_e_mail():
    assert problem(SEVEN_REPLACES, "sms").kind == "too_big"
    found = problem(SEVEN_REPLACES, "text")
    assert found.kind == "too_big" and found.limit == 10_000 and found.size > 10_000


def test_an_intermediate_value_past_the_limit_is_refused_even_when_truncated_afterwards():
    source = "{{ client_name" + '|replace("a","aaaaaaaaaa")' * 3 + "|truncate(20) }}"
    assert problem(source).kind == "too_big"


def test_the_limit_depends_on_the_part():
    source = "{{ location_address }}\n" * 7  # up to 7 × 251 characters
    assert problem(source, "sms").kind == "too_big" and problem(source, "sms").limit == 1_600
    check(source, "text")


def test_the_longest_a_template_can_become_counts_every_filter():
    assert longest("Dag {{ client_first_name }}") == 4 + 80
    assert longest("{{ client_first_name|upper }}") == 80 * 3  # "ß" -> "SS", "ΐ" -> three code points
    assert longest('{{ time|replace("0", "abc") }}') == 5 + 5 * 2
    assert longest('{{ time|replace(date, "abc") }}') == 5 + 6 * 3  # `date` may be empty: six places in "09:30"
    assert longest('{{ client_name|replace("a", "bb", 2) }}') == 161 + 2
    assert longest("{{ location_address|truncate(40) }}") == 40 + 5  # Jinja's leeway of five
    assert longest("{% if time %}{{ location }}{% else %}{{ time }}{% endif %}") == 120
    assert longest("{{ practice_name }}", "html") == 120 * 5


def test_html_escaping_is_counted():
    check("{{ location_address }}" * 9, "text")
    found = problem("{{ location_address }}" * 9, "html")
    assert (found.kind, found.size) == ("too_big", 9 * 250 * 5)


def test_a_subject_template_must_fit_its_column_but_a_long_result_is_cut_when_sent():
    assert problem("x" * 201, "subject").kind == "too_long"
    subject = render("Online verplaatst: {{ client_name }} naar {{ date }} {{ time }}", LONGEST, part="subject")
    assert len(subject) == 200 and subject.endswith("…")


def test_a_number_of_five_thousand_digits_is_refused_not_a_crash():
    assert problem("{{ " + "9" * 5_000 + " }}").kind == "number_too_big"
    assert problem("{{ " + "9" * 4_000 + " }}").kind == "number_too_big"
    assert problem("{{ 0x" + "f" * 5_000 + " }}").kind == "number_too_big"
    assert problem("{{ 1e999 }}").kind == "number_too_big"


@pytest.mark.parametrize("source", [
    "{{ " + "(" * 500 + "time" + ")" * 500 + " }}",
    "{{ " + " or ".join(["time"] * 1_000) + " }}",
    "{{ " + "not " * 600 + "time }}",
    "{{ time" + "|trim" * (MAX_DEPTH + 1) + " }}",
    "{% if time %}" * (MAX_DEPTH + 1) + "x" + "{% endif %}" * (MAX_DEPTH + 1),
])
def test_deep_nesting_is_refused(source):
    assert problem(source).kind == "too_deep"


def test_a_template_that_handles_too_much_text_on_the_way_is_refused_even_when_it_writes_little():
    # Each condition builds 13 addresses, upper-cased (9,750 characters) and trimmed 15 times, and writes "x".
    condition = "{% if (" + " ~ ".join(["location_address"] * 13) + ")|upper" + "|trim" * 15 + " %}x{% endif %}"
    check(condition * 3)
    found = problem(condition * 4)
    assert found.kind == "too_much_work" and found.limit == 50 * 10_000


def test_a_template_with_too_many_parts_is_refused():
    found = problem("{{ time }}" * MAX_NODES)
    assert found.kind == "too_complex" and found.size > MAX_NODES


@pytest.mark.parametrize("source", [
    "{{ client_name|truncate(-5) }}",
    "{{ client_name|truncate(2) }}",  # shorter than its "..."
    "{{ client_name|truncate(time) }}",
    "{{ client_name|truncate(10, leeway=-1) }}",
    '{{ client_name|replace("a", "b", -1) }}',
    '{{ client_name|replace("a", "b", time) }}',
    '{{ client_name|replace("a") }}',
    '{{ client_name|replace("a", "b", 1, 2) }}',
    '{{ client_name|replace("a", "b", size=2) }}',
    "{{ client_name|trim(5) }}",
    "{{ client_name|upper(1) }}",
])
def test_filter_arguments_out_of_range_are_refused(source):
    found = problem(source)
    assert found.kind == "bad_argument" and found.line == 1


def test_an_inline_if_without_else_is_only_allowed_straight_in_the_output():
    assert render("a{{ 'x' if reschedule_link }}b", {"reschedule_link": ""}) == "ab"
    assert problem("{{ ('x' if reschedule_link)|upper }}").kind == "forbidden"


def test_a_template_that_fails_on_sample_values_is_refused():
    assert problem("{% if time < 5 %}x{% endif %}").kind == "render_error"


@pytest.mark.parametrize("key", sorted(DEFAULTS, key=str))
def test_the_shipped_templates_pass_with_their_parts_limits(key):
    channel = key[1]
    for field, source in DEFAULTS[key].items():
        part = "sms" if channel == Channel.SMS else {"subject": "subject", "body": "text", "html_body": "html"}[field]
        check(source, part)


def test_a_stored_template_that_would_overflow_fails_at_send_time_with_a_template_problem():
    for _ in range(2):  # the refusal is remembered, and raised again for every message
        with pytest.raises(TemplateProblem) as caught:
            render('{{ client_name|replace("a", "b", 99999999999999999999) }}', LONGEST, part="sms")
        assert caught.value.kind == "number_too_big"
    with pytest.raises(TemplateProblem) as caught:
        render("{{ client_name }}", {})  # a missing variable
    assert caught.value.kind == "render_error"


def test_values_longer_than_their_columns_cannot_make_the_result_pass_the_limit():
    with pytest.raises(TemplateProblem) as caught:
        render("{{ practice_name }}", {"practice_name": "x" * 2_000}, part="sms")
    assert (caught.value.kind, caught.value.size, caught.value.limit) == ("too_big", 2_000, 1_600)


# --- the guarantee, for any template the check accepts -------------------------------------------------------

CHARACTERS = "aAßΐ&<\"' x"  # case mapping grows "ß" and "ΐ", HTML escaping grows the quotes, "&" and "<"
names = st.sampled_from(VARIABLE_ORDER)
texts = st.text(alphabet="abx ßΐ&<", max_size=12)
numbers = st.integers(min_value=0, max_value=60)


def _quoted(text: str) -> str:
    return '"' + text + '"'


def _expressions(inner):
    filters = st.one_of(
        st.sampled_from(["|upper", "|lower", "|capitalize", "|title", "|trim"]),
        st.builds(lambda old, new: f"|replace({_quoted(old)}, {new})", texts, st.one_of(texts.map(_quoted), names)),
        st.builds(lambda old, new, count: f"|replace({_quoted(old)}, {_quoted(new)}, {count})", texts, texts, numbers),
        st.builds(lambda new: f"|replace({new}, {_quoted('ab')})", names),
        st.builds(lambda length, killwords: f"|truncate({length + 3}, {killwords})", numbers,
                  st.sampled_from(["true", "false"])),
        st.builds(lambda value: f"|default({value}, true)", st.one_of(names, texts.map(_quoted))),
    )
    return st.one_of(
        st.builds(lambda e, f: f"({e}){f}", inner, filters),
        st.builds(lambda a, b: f"{a} ~ {b}", inner, inner),
        st.builds(lambda a, t, b: f"({a} if {t} else {b})", inner, inner, inner),
        st.builds(lambda a, b, op: f"({a} {op} {b})", inner, inner, st.sampled_from(["and", "or", "==", "!="])),
        inner.map(lambda e: f"(not {e})"),
    )


expressions = st.recursive(st.one_of(names, texts.map(_quoted), numbers.map(str)), _expressions, max_leaves=12)
pieces = st.one_of(texts, expressions.map(lambda e: "{{ " + e + " }}"))
blocks = st.recursive(
    pieces, lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=4).map("".join),
        st.builds(lambda t, a, b: f"{{% if {t} %}}{a}{{% else %}}{b}{{% endif %}}", expressions, inner, inner)),
    max_leaves=8)
values = st.fixed_dictionaries({
    name: st.one_of(st.text(alphabet=CHARACTERS, max_size=length),
                    st.sampled_from(CHARACTERS).map(lambda c, length=length: c * length))
    for name, length in VARIABLE_MAX_LENGTHS.items()})


@settings(max_examples=300)
@given(source=blocks, part=st.sampled_from(sorted(LIMITS)), variables=values)
def test_a_template_the_check_accepts_fills_in_within_its_limit_for_any_names(source, part, variables):
    try:
        check(source, part)
    except TemplateProblem:
        return  # refused with a reason, never another exception
    most = longest(source, part)
    text = render(source, variables, part=part)
    assert most <= LIMITS[part].length
    assert len(text) <= min(most, LIMITS[part].cut_to or most)  # the static bound holds, not just the limit

