"""What a staff template may contain and how long it may grow: the vocabulary (variables, filters), the limit of
each part of a message, and the worst case worked out from a parsed template alone (Sizer), so that a template
that passes cannot blow up a send. Pure: no Flask, no ORM; templating.py is the sandbox that uses it."""
from dataclasses import dataclass

from jinja2 import nodes

# The variables a template may use, in the order the editor lists them.
VARIABLE_ORDER = (
    "client_name", "client_first_name", "date", "time", "date_time", "practitioner", "appointment_type",
    "location", "location_address", "location_sms_note", "practice_name", "practice_phone", "reschedule_link",
    "old_date", "old_time", "cancel_reason", "series_dates", "series_count",
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
    "old_date": 64, "old_time": 5, "cancel_reason": 500,  # public/services.REASON_LENGTH
    "series_dates": 40 * 24, "series_count": 2,  # series.MOST lines of "mer. 30 sept. 10:00"
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
WRAPPERS = (nodes.Template, nodes.Output, nodes.Operand, nodes.Keyword)  # they add no level of nesting


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


def is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)



class Sizer:
    """Works out, without running the template, the longest each value in it can become (the length of its
    str()), and refuses it as soon as one passes the limit, or all of them together pass the work budget. Only
    for trees that passed templating's node check: the recursion is at most MAX_DEPTH deep."""

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
            size = len(str(constant(node)))
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
            leeway = constant(given["leeway"]) if "leeway" in given else TRUNCATE_LEEWAY
            return min(value, constant(given.get("length", nodes.Const(255))) + leeway)
        return self.replaced(node, value, given)

    def replaced(self, node: nodes.Filter, value: int, given: dict[str, nodes.Node]) -> int:
        """replace(old, new, count): each occurrence of `old` grows the text by len(new) - len(old). An `old` that is
        not a constant may be empty, and the empty string occurs len(text) + 1 times."""
        new = self.expression(given["new"])
        old = given["old"]
        if is_constant(old) and str(constant(old)):
            shortest_old = len(str(constant(old)))
            times = value // shortest_old
        else:
            self.expression(old)
            shortest_old, times = 0, value + 1
        if "count" in given:
            times = min(times, constant(given["count"]))
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
        if any(not is_constant(value) for name, value in given.items() if (node.name, name) not in ANY_EXPRESSION):
            raise refused
        value = {name: constant(argument) for name, argument in given.items() if is_constant(argument)}
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


def is_constant(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Const) or isinstance(node, (nodes.Neg, nodes.Pos))  # Neg/Pos only wrap numbers


def constant(node: nodes.Node):
    if isinstance(node, nodes.Neg):
        return -node.node.value
    if isinstance(node, nodes.Pos):
        return +node.node.value
    return node.value
