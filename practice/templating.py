"""The sandbox for the practice's own message templates: check them when saved, render them when sent.

Templates may use the variables below, `if`/`for` blocks and a few harmless filters; anything that reaches
for attributes, items, calls or Python internals is refused before it is stored (and the sandbox refuses it
again at render time). Pure: no Flask, no ORM.
"""
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

# The variables a template may use, in the order the editor lists them.
VARIABLE_ORDER = (
    "client_name", "client_first_name", "date", "time", "date_time", "practitioner", "appointment_type",
    "location", "location_address", "location_sms_note", "practice_name", "practice_phone", "reschedule_link",
    "old_date", "old_time",
)
VARIABLES = frozenset(VARIABLE_ORDER)
FILTERS = ("upper", "lower", "capitalize", "title", "trim", "default", "replace", "truncate")
MAX_LENGTH = 10_000
# Node types a template may contain; everything else (attribute access, calls, set, include, macros...) is refused.
ALLOWED_NODES = (
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.Name, nodes.Const, nodes.If, nodes.CondExpr,
    nodes.And, nodes.Or, nodes.Not, nodes.Compare, nodes.Operand, nodes.Filter, nodes.Keyword, nodes.Concat,
)


@dataclass(frozen=True)
class TemplateProblem(ValueError):
    """Why a template cannot be saved: `kind` is syntax, unknown_variable, forbidden or too_long."""
    kind: str
    line: int | None = None
    detail: str = ""

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"{self.kind}{where}: {self.detail}"


def _environment(html: bool) -> ImmutableSandboxedEnvironment:
    environment = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=html,
                                                keep_trailing_newline=True)
    environment.globals.clear()
    environment.filters = {name: environment.filters[name] for name in FILTERS}
    environment.tests = {}
    return environment


_TEXT, _HTML = _environment(False), _environment(True)


def normalise(source: str) -> str:
    """Browsers send line breaks as CRLF; store LF, and text in NFC so counting matches what is sent."""
    return unicodedata.normalize("NFC", source.replace("\r\n", "\n").replace("\r", "\n"))


@lru_cache(maxsize=512)
def check(source: str) -> None:
    """Raise TemplateProblem if the template cannot be saved; return quietly when it is fine."""
    if len(source) > MAX_LENGTH:
        raise TemplateProblem("too_long", None, str(MAX_LENGTH))
    try:
        tree = _TEXT.parse(source)
    except TemplateSyntaxError as error:
        raise TemplateProblem("syntax", error.lineno, error.message or "") from None
    for node in tree.find_all(nodes.Node):
        if not isinstance(node, ALLOWED_NODES):
            raise TemplateProblem("forbidden", node.lineno, _describe(node))
        if isinstance(node, nodes.Name) and node.name not in VARIABLES:
            kind = "forbidden" if node.name.startswith("_") else "unknown_variable"
            raise TemplateProblem(kind, node.lineno, node.name)
        if isinstance(node, nodes.Filter) and node.name not in FILTERS:
            raise TemplateProblem("forbidden", node.lineno, f"|{node.name}")
        if isinstance(node, nodes.Const) and isinstance(node.value, str) and "__" in node.value:
            raise TemplateProblem("forbidden", node.lineno, repr(node.value))


def _describe(node: nodes.Node) -> str:
    if isinstance(node, nodes.Getattr):
        return f".{node.attr}"
    if isinstance(node, nodes.Getitem):
        return "[…]"
    if isinstance(node, nodes.Call):
        return "(…)"
    return type(node).__name__.lower()


def variables_used(source: str) -> list[str]:
    """The known variables a (valid) template uses, in the editor's order."""
    names = {node.name for node in _TEXT.parse(source).find_all(nodes.Name)}
    return [name for name in VARIABLE_ORDER if name in names]


def render(source: str, variables: dict[str, str], html: bool = False) -> str:
    """Render a checked template; with html=True the variables are escaped."""
    return _compiled(source, html).render(variables)


@lru_cache(maxsize=512)
def _compiled(source: str, html: bool):
    """Checked and compiled once per text: the worker renders the same few templates thousands of times."""
    check(source)
    return (_HTML if html else _TEXT).from_string(source)
