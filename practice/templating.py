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
Pure: no Flask, no ORM.
"""
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

# The variables a template may use, in the order the editor lists them.
VARIABLE_ORDER = (
    "client_name", "client_first_name", "date", "time", "date_time", "practitioner", "appointment_type",
    "location", "location_address", "location_sms_note", "practice_name", "practice_phone", "reschedule_link",
    "old_date", "old_time",
)
VARIABLES = frozenset(VARIABLE_ORDER)
# The longest each variable can be. They follow the column sizes in models.py (Client.first_name and last_name
# String(80) each, the names of practitioner, type, location and practice String(120), Location.address 250,
# Location.sms_note 124, Practice.phone 40); a spoken date ("woensdag 30 september 2026", "Mittwoch, 30. September
# 2026") is under 32 characters, 64 leaves room; a time is "09:30"; the link is the public base URL plus a token.
VARIABLE_MAX_LENGTHS = {
    "client_name": 80 + 1 + 80, "client_first_name": 80, "date": 64, "time": 5, "date_time": 64 + 1 + 5,
    "practitioner": 120, "appointment_type": 120, "location": 120, "location_address": 250,
    "location_sms_note": 124, "practice_name": 120, "practice_phone": 40, "reschedule_link": 200,
    "old_date": 64, "old_time": 5,
}
FILTERS = ("upper", "lower", "capitalize", "title", "trim", "default", "replace", "truncate")
# The arguments each filter takes, in order (as Jinja defines them); all of them must be written as plain
# constants, except the texts of replace and default, which may be any expression.
FILTER_PARAMETERS = {
    "upper": (), "lower": (), "capitalize": (), "title": (), "trim": ("chars",),
    "default": ("default_value", "boolean"), "replace": ("old", "new", "count"),
    "truncate": ("length", "killwords", "end", "leeway"),
}
REQUIRED_PARAMETERS = {"replace": ("old", "new")}
ANY_EXPRESSION = {("replace", "old"), ("replace", "new"), ("default", "default_value")}
TRUNCATE_LEEWAY = 5  # Jinja's default "truncate.leeway" policy, which the environments below keep
# Unicode case mapping can turn one character into up to three ("ΐ".upper() is three code points).
CASE_GROWTH = 3
# HTML escaping turns one character into up to five ('"' -> "&#34;").
ESCAPE_GROWTH = 5

MAX_LENGTH = 10_000  # the longest template text
MAX_NUMBER = 100_000  # the largest number a template may write, e.g. a count or a length
MAX_DEPTH = 20  # filters, conditions and operators inside each other
# Parsing and compiling cost 50-80 µs per node (the render itself is far cheaper); 300 nodes keep the editor's
# preview of an e-mail (three parts) under 100 ms, and are far more than a real message needs (a default e-mail
# body has under 30, a hand-written HTML body with 50 variables about 100).
MAX_NODES = 300
WORK_FACTOR = 50  # all values in a template together may be at most this many times the part's limit

# Node types a template may contain; everything else (attribute access, calls, set, include, macros, loops...)
# is refused. Neg and Pos only in front of a number ("truncate(-5)" is then refused for its value).
ALLOWED_NODES = (
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.Name, nodes.Const, nodes.If, nodes.CondExpr,
    nodes.And, nodes.Or, nodes.Not, nodes.Compare, nodes.Operand, nodes.Filter, nodes.Keyword, nodes.Concat,
    nodes.Neg, nodes.Pos,
)
_WRAPPERS = (nodes.Template, nodes.Output, nodes.Operand, nodes.Keyword)  # they add no level of nesting


@dataclass(frozen=True)
class Limit:
    """How long one part of a message may become."""
    length: int  # the longest the result, and every value on the way to it, may be
    source: int = MAX_LENGTH  # the longest template text that can be stored for this part
    cut_to: int | None = None  # when set, a longer result is shortened to this many characters instead of refused


# Parts: "sms" (an SMS body), "text" (an e-mail's plain text), "html" (its HTML, escaped), "subject".
LIMITS = {
    "sms": Limit(1_600),  # ten concatenated segments; more is refused by most gateways
    "text": Limit(10_000),
    "html": Limit(10_000),
    # MessageTemplate.subject and Message.subject are String(200) (PostgreSQL refuses longer). A subject that
    # names the client passes 200 with the longest names the columns allow (the default practice notice reaches
    # 256), so a sent subject is cut to 200 rather than refused; a subject template may still grow to a line.
    "subject": Limit(1_000, source=200, cut_to=200),
}


@dataclass(frozen=True)
class TemplateProblem(ValueError):
    """Why a template cannot be saved or sent. `kind` is syntax, unknown_variable, forbidden, too_long,
    number_too_big, bad_argument, too_deep, too_complex, too_big, too_much_work or render_error; `size` and
    `limit` say how much there is and how much is allowed where that applies."""
    kind: str
    line: int | None = None
    detail: str = ""
    size: int = 0
    limit: int = 0

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"{self.kind}{where}: {self.detail}"


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
    most = _Sizer(limit, html=part == "html").template(tree)
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
        if not isinstance(node, _WRAPPERS):
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
        if isinstance(node, nodes.Const) and _is_number(node.value) and not abs(node.value) <= MAX_NUMBER:
            raise TemplateProblem("number_too_big", node.lineno, "", 0, MAX_NUMBER)  # no str(): 0x… has no digit cap
        if isinstance(node, (nodes.Neg, nodes.Pos)) and not (isinstance(node.node, nodes.Const)
                                                             and _is_number(node.node.value)):
            raise TemplateProblem("forbidden", node.lineno, _describe(node))
        pending.extend((child, depth) for child in reversed(list(node.iter_child_nodes())))
    if count > MAX_NODES:
        raise TemplateProblem("too_complex", None, str(count), count, MAX_NODES)


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _describe(node: nodes.Node) -> str:
    if isinstance(node, nodes.Getattr):
        return f".{node.attr}"
    if isinstance(node, nodes.Getitem):
        return "[…]"
    if isinstance(node, nodes.Call):
        return "(…)"
    return type(node).__name__.lower()


class _Sizer:
    """Works out, without running the template, the longest each value in it can become (the length of its
    str()), and refuses it as soon as one passes the limit, or all of them together pass the work budget. Only
    for trees that passed _check_nodes: the recursion is at most MAX_DEPTH deep."""

    def __init__(self, limit: Limit, html: bool):
        self.limit, self.html = limit, html
        self.work, self.budget = 0, WORK_FACTOR * limit.length

    def template(self, tree: nodes.Template) -> int:
        most = self.statements(tree.body)
        self._fits(most, tree)
        return most

    def statements(self, body: list[nodes.Node]) -> int:
        """The longest output of a list of statements: Output nodes and if blocks."""
        total = 0
        for node in body:
            if isinstance(node, nodes.If):
                total += self.if_block(node)
            else:
                total += sum(self.output(child) for child in node.nodes)
        return total

    def if_block(self, node: nodes.If) -> int:
        most = self.statements(node.body)
        for branch in node.elif_:
            self.expression(branch.test)
            most = max(most, self.statements(branch.body))
        self.expression(node.test)
        return max(most, self.statements(node.else_))

    def output(self, node: nodes.Node) -> int:
        if isinstance(node, nodes.TemplateData):
            return self._counted(len(node.data), node)
        if isinstance(node, nodes.CondExpr) and node.expr2 is None:  # `{{ x if test }}` writes nothing when false
            node = nodes.CondExpr(node.test, node.expr1, nodes.Const(""), lineno=node.lineno)
        size = self.expression(node)
        return self._counted(size * ESCAPE_GROWTH, node) if self.html else size

    def expression(self, node: nodes.Node) -> int:
        if isinstance(node, nodes.Name):
            size = VARIABLE_MAX_LENGTHS[node.name]
        elif isinstance(node, (nodes.Const, nodes.Neg, nodes.Pos)):
            size = len(str(_constant(node)))
        elif isinstance(node, nodes.Concat):
            size = sum(self.expression(item) for item in node.nodes)
        elif isinstance(node, nodes.CondExpr):
            if node.expr2 is None:  # a false one is StrictUndefined, which fails anywhere but straight in {{ }}
                raise TemplateProblem("forbidden", node.lineno, "if … without else")
            self.expression(node.test)
            size = max(self.expression(node.expr1), self.expression(node.expr2))
        elif isinstance(node, (nodes.And, nodes.Or)):  # the value of one side
            size = max(self.expression(node.left), self.expression(node.right))
        elif isinstance(node, nodes.Not):
            self.expression(node.node)
            size = len("False")
        elif isinstance(node, nodes.Compare):
            self.expression(node.expr)
            for operand in node.ops:
                self.expression(operand.expr)
            size = len("False")
        else:
            size = self.filter(node)
        return self._counted(size, node)

    def filter(self, node: nodes.Filter) -> int:
        given = self.arguments(node)
        value = self.expression(node.node)
        if node.name in ("upper", "lower", "capitalize", "title"):
            return value * CASE_GROWTH
        if node.name == "trim":
            return value
        if node.name == "default":
            self._measured(given.get("boolean"))
            return max(value, self._measured(given.get("default_value")))
        if node.name == "truncate":
            leeway = _constant(given["leeway"]) if "leeway" in given else TRUNCATE_LEEWAY
            return min(value, _constant(given.get("length", nodes.Const(255))) + leeway)
        return self.replaced(node, value, given)

    def replaced(self, node: nodes.Filter, value: int, given: dict[str, nodes.Node]) -> int:
        """replace(old, new, count): each occurrence of `old` grows the text by len(new) - len(old). An `old` that is
        not a constant may be empty, and the empty string occurs len(text) + 1 times."""
        new = self.expression(given["new"])
        old = given["old"]
        if _is_constant(old) and str(_constant(old)):
            shortest_old = len(str(_constant(old)))
            times = value // shortest_old
        else:
            self.expression(old)
            shortest_old, times = 0, value + 1
        if "count" in given:
            times = min(times, _constant(given["count"]))
        return value + times * max(0, new - shortest_old)

    def arguments(self, node: nodes.Filter) -> dict[str, nodes.Node]:
        """The filter's arguments by name, refused when Jinja would fail on them or they make no sense."""
        names = FILTER_PARAMETERS[node.name]
        given = dict(zip(names, node.args))
        refused = TemplateProblem("bad_argument", node.lineno, node.name)
        if len(node.args) > len(names) or node.dyn_args or node.dyn_kwargs:
            raise refused
        for keyword in node.kwargs:
            if keyword.key not in names or keyword.key in given:
                raise refused
            given[keyword.key] = keyword.value
        if any(name not in given for name in REQUIRED_PARAMETERS.get(node.name, ())):
            raise refused
        if any(not _is_constant(value) for name, value in given.items() if (node.name, name) not in ANY_EXPRESSION):
            raise refused
        value = {name: _constant(argument) for name, argument in given.items() if _is_constant(argument)}
        if node.name == "trim" and not isinstance(value.get("chars", ""), str | None):
            raise refused
        if node.name == "replace" and "count" in value and not (type(value["count"]) is int and value["count"] >= 0):
            raise refused
        if node.name == "truncate":
            length, end, leeway = value.get("length", 255), value.get("end", "..."), value.get("leeway", 0)
            if not (type(length) is int and isinstance(end, str) and type(leeway) is int
                    and len(end) <= length and leeway >= 0):
                raise refused
        return given

    def _measured(self, node: nodes.Node | None) -> int:
        return 0 if node is None else self.expression(node)

    def _counted(self, size: int, node: nodes.Node) -> int:
        self._fits(size, node)
        self.work += size
        if self.work > self.budget:
            raise TemplateProblem("too_much_work", node.lineno, str(self.work), self.work, self.budget)
        return size

    def _fits(self, size: int, node: nodes.Node) -> None:
        if size > self.limit.length:
            raise TemplateProblem("too_big", node.lineno, str(size), size, self.limit.length)


def _is_constant(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Const) or isinstance(node, (nodes.Neg, nodes.Pos))  # Neg/Pos only wrap numbers


def _constant(node: nodes.Node):
    if isinstance(node, nodes.Neg):
        return -node.node.value
    if isinstance(node, nodes.Pos):
        return +node.node.value
    return node.value


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
