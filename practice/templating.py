"""The sandbox for the practice's own message templates: check them when saved, render them when sent.

Templates may use the variables below, `if` blocks, inline `if`/`and`/`or`/comparisons and a few harmless
filters; anything that reaches for attributes, items, calls, loops or Python internals is refused before it is
stored (and the sandbox refuses it again at render time).

Templates also stay bounded. Every part of a message has a limit (LIMITS); the check works out from the parsed
template alone how long every value in it can become when each variable is as long as its column allows
(VARIABLE_MAX_LENGTHS), and refuses it when any value, the result, or the total work goes past the limit. It also
caps numbers, filter arguments, nesting and size, and fills the template in once with the longest and once with
empty sample values. The same check runs again before every render, so a template stored before these rules
cannot blow up a send either: what fails is refused as a TemplateProblem, the one exception type callers handle.
The vocabulary, the limits and the worst-case arithmetic are in template_rules.py.
Pure: no Flask, no ORM.
"""
import re
import unicodedata
from dataclasses import replace
from functools import lru_cache

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import escape

from .template_rules import (
    ALLOWED_NODES, FILTERS, LIMITS, MAX_DEPTH, MAX_LENGTH, MAX_NODES, MAX_NUMBER, TRUNCATE_LEEWAY, VARIABLE_MAX_LENGTHS,
    VARIABLE_ORDER, VARIABLES, WRAPPERS, Limit, Sizer, TemplateProblem, is_number,
)

__all__ = ["LIMITS", "MAX_LENGTH", "MAX_NUMBER", "MAX_DEPTH", "MAX_NODES", "VARIABLE_ORDER", "TemplateProblem",
           "check", "longest", "normalise", "render", "text_to_html", "variables_used"]


def _environment(limit: Limit, html: bool) -> ImmutableSandboxedEnvironment:
    environment = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=html,
                                                keep_trailing_newline=True)
    environment.globals.clear()
    environment.filters = {name: environment.filters[name] for name in FILTERS}
    # Safe versions: a count or length out of range, or a result past the limit, is a TemplateProblem rather than
    # an OverflowError, an AssertionError or a string of millions of characters.
    environment.filters["replace"] = _safe_replace(limit.length)
    environment.filters["truncate"] = _safe_truncate
    environment.tests = {}
    return environment


def _safe_replace(most: int):
    def replace_within_limit(value, old, new, count=None) -> str:
        text, old, new = str(value), str(old), str(new)
        if count is not None and (type(count) is not int or count < 0):
            raise TemplateProblem("bad_argument", None, "replace")
        found = text.count(old)  # len(text) + 1 for an empty `old`, so never more than the text allows
        times = found if count is None else min(found, count)
        size = len(text) + times * (len(new) - len(old))
        if size > most:
            raise TemplateProblem("too_big", None, str(size), size, most)
        return text.replace(old, new, times)
    return replace_within_limit


def _safe_truncate(value, length=255, killwords=False, end="...", leeway=None) -> str:
    """Jinja's truncate, with its asserts turned into a refusal."""
    text = str(value)
    leeway = TRUNCATE_LEEWAY if leeway is None else leeway
    if not (type(length) is int and isinstance(end, str) and type(leeway) is int
            and len(end) <= length <= MAX_NUMBER and 0 <= leeway <= MAX_NUMBER):
        raise TemplateProblem("bad_argument", None, "truncate")
    if len(text) <= length + leeway:
        return text
    if killwords:
        return text[: length - len(end)] + end
    return text[: length - len(end)].rsplit(" ", 1)[0] + end


_ENVIRONMENTS = {part: _environment(limit, part == "html") for part, limit in LIMITS.items()}


def normalise(source: str) -> str:
    """Browsers send line breaks as CRLF; store LF, and text in NFC so counting matches what is sent."""
    return unicodedata.normalize("NFC", source.replace("\r\n", "\n").replace("\r", "\n"))


@lru_cache(maxsize=512)
def check(source: str, part: str = "text") -> None:
    """Raise TemplateProblem if the template cannot be saved as this part (a key of LIMITS); return quietly when
    it is fine."""
    _compiled(source, part)


def longest(source: str, part: str = "text") -> int:
    """The most characters the template can fill in to, whatever the values (within their maximum lengths);
    raises TemplateProblem as check does."""
    return _compiled(source, part)[1]


def render(source: str, variables: dict[str, str], html: bool = False, part: str | None = None) -> str:
    """Fill in a template as one part of a message; html=True is short for part="html" (variables escaped).
    Raises TemplateProblem when the template fails the check or the filled-in text fails to fit."""
    part = part or ("html" if html else "text")
    limit = LIMITS[part]
    text = _filled(_compiled(source, part)[0], variables, limit)
    if limit.cut_to and len(text) > limit.cut_to:
        text = text[: limit.cut_to - 1] + "…"
    return text


def _compiled(source: str, part: str) -> tuple[Template, int]:
    """The compiled template and the longest it can become; raises TemplateProblem."""
    outcome = _outcome(source, part)
    if isinstance(outcome, TemplateProblem):
        raise replace(outcome) from None  # a fresh copy: raising the cached one would grow its traceback
    return outcome


@lru_cache(maxsize=512)
def _outcome(source: str, part: str) -> tuple[Template, int] | TemplateProblem:
    """Checked and compiled once per text and part: the worker renders the same few templates thousands of times,
    and the editor checks and previews the same text in one request. A refusal is kept too, so a batch of sends
    with one bad stored template parses it once."""
    try:
        return _checked_and_compiled(source, part)
    except TemplateProblem as problem:
        return problem


def _checked_and_compiled(source: str, part: str) -> tuple[Template, int]:
    limit, environment = LIMITS[part], _ENVIRONMENTS[part]
    if len(source) > limit.source:
        raise TemplateProblem("too_long", None, str(limit.source), len(source), limit.source)
    try:
        tree = environment.parse(source)
    except TemplateSyntaxError as error:
        raise TemplateProblem("syntax", error.lineno, error.message or "") from None
    except RecursionError:  # brackets nested hundreds deep exhaust the parser's stack
        raise TemplateProblem("too_deep", None, "", 0, MAX_DEPTH) from None
    except (ValueError, OverflowError):  # a number with thousands of digits (Python's int_max_str_digits)
        raise TemplateProblem("number_too_big", None, "", 0, MAX_NUMBER) from None
    except MemoryError:
        raise TemplateProblem("too_complex", None, "", 0, MAX_NODES) from None
    _check_nodes(tree)
    most = Sizer(limit, html=part == "html").template(tree)
    # Compiled from the tree already parsed: parsing is a third of the cost of a large template.
    template = environment.template_class.from_code(environment, environment.compile(tree),
                                                    environment.make_globals(None))
    for sample in (_LONGEST, _EMPTY):  # the longest values also take every `{% if variable %}` branch
        _filled(template, sample, limit)
    return template, most


def _filled(template: Template, variables: dict[str, str], limit: Limit) -> str:
    try:
        text = template.render(variables)
    except TemplateProblem:
        raise
    except Exception as error:  # a type error in a branch the samples did not take, a missing variable...
        raise TemplateProblem("render_error", None, str(error)[:200]) from None
    if len(text) > limit.length:
        raise TemplateProblem("too_big", None, str(len(text)), len(text), limit.length)
    return text


def _check_nodes(tree: nodes.Template) -> None:
    """Refuse what a template may not contain, how deep and how many nodes it has. Without recursion: a chain
    of a thousand `or`s parses fine but is nested a thousand deep."""
    count, pending = 0, [(tree, 0)]
    while pending:
        node, depth = pending.pop()
        count += 1
        if not isinstance(node, WRAPPERS):
            depth += 1
        if depth > MAX_DEPTH:
            raise TemplateProblem("too_deep", node.lineno, "", depth, MAX_DEPTH)
        if not isinstance(node, ALLOWED_NODES):
            raise TemplateProblem("forbidden", node.lineno, _describe(node))
        if isinstance(node, nodes.Name) and node.name not in VARIABLES:
            kind = "forbidden" if node.name.startswith("_") else "unknown_variable"
            raise TemplateProblem(kind, node.lineno, node.name)
        if isinstance(node, nodes.Filter) and node.name not in FILTERS:
            raise TemplateProblem("forbidden", node.lineno, f"|{node.name}")
        if isinstance(node, nodes.Const) and isinstance(node.value, str) and "__" in node.value:
            raise TemplateProblem("forbidden", node.lineno, repr(node.value))
        if isinstance(node, nodes.Const) and is_number(node.value) and not abs(node.value) <= MAX_NUMBER:
            raise TemplateProblem("number_too_big", node.lineno, "", 0, MAX_NUMBER)  # no str(): 0x… has no digit cap
        if isinstance(node, (nodes.Neg, nodes.Pos)) and not (isinstance(node.node, nodes.Const)
                                                             and is_number(node.node.value)):
            raise TemplateProblem("forbidden", node.lineno, _describe(node))
        pending.extend((child, depth) for child in reversed(list(node.iter_child_nodes())))
    if count > MAX_NODES:
        raise TemplateProblem("too_complex", None, str(count), count, MAX_NODES)


def _describe(node: nodes.Node) -> str:
    if isinstance(node, nodes.Getattr):
        return f".{node.attr}"
    if isinstance(node, nodes.Getitem):
        return "[…]"
    if isinstance(node, nodes.Call):
        return "(…)"
    return type(node).__name__.lower()


def _sample(length: int) -> str:
    # The characters that grow the most: "ΐ" and "ß" under upper and title, quotes, "&" and "<" under HTML
    # escaping; a space for truncate and trim.
    return ("ΐß&<\"' a" * length)[:length]


_LONGEST = {name: _sample(length) for name, length in VARIABLE_MAX_LENGTHS.items()}
_EMPTY = dict.fromkeys(VARIABLE_ORDER, "")


def variables_used(source: str) -> list[str]:
    """The known variables a (valid) template uses, in the editor's order."""
    try:
        names = {node.name for node in _ENVIRONMENTS["text"].parse(source).find_all(nodes.Name)}
    except (TemplateSyntaxError, RecursionError, ValueError, OverflowError):  # a template stored before the check
        return []
    return [name for name in VARIABLE_ORDER if name in names]


# A web address in a plain text, without the punctuation that ends the sentence around it.
_WEB_ADDRESS = re.compile(r"https?://[^\s<>\"']*[^\s<>\"'.,;:!?)\]]")


def text_to_html(text: str) -> str:
    """A filled-in plain text as an e-mail's HTML part: a paragraph per blank line, <br> per line break, web
    addresses as links, and everything else escaped (a client called "<b>" reads as just that)."""
    paragraphs = [paragraph.strip("\n") for paragraph in re.split(r"\n[ \t]*\n", text) if paragraph.strip()]
    return "".join("<p>" + "<br>\n".join(_linked(line) for line in paragraph.split("\n")) + "</p>\n"
                   for paragraph in paragraphs)


def _linked(line: str) -> str:
    pieces, done = [], 0
    for found in _WEB_ADDRESS.finditer(line):
        address = escape(found.group())
        pieces += [escape(line[done:found.start()]), f'<a href="{address}">{address}</a>']
        done = found.end()
    return "".join(map(str, pieces + [escape(line[done:])]))
