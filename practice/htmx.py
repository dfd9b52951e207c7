"""The htmx side of a response: one place decides between a full page and a fragment."""
import json

from flask import make_response, render_template, request


def is_htmx() -> bool:
    # htmx 4 sends HX-Request-Type "full" for boosted navigation, which wants the whole page.
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Request-Type") != "full"


def render_page(page: str, fragment: str, status: int = 200, trigger: dict | str | None = None, **context):
    """Render `page` for a normal request and only `fragment` for htmx; the page includes the fragment."""
    response = make_response(render_template(fragment if is_htmx() else page, **context), status)
    if trigger:
        response.headers["HX-Trigger"] = trigger if isinstance(trigger, str) else json.dumps(trigger)
    return response


def render_fragment(fragment: str, status: int = 200, trigger: dict | str | None = None, **context):
    return render_page(fragment, fragment, status, trigger, **context)
