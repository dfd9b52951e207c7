"""The public feed a phone's calendar subscribes to: no login, the link is the key; rate-limited like the client's
page. An unknown and a revoked link answer the same 404."""
from datetime import UTC, datetime

from flask import Blueprint, Response, abort

from ..extensions import limiter
from ..web import public, public_rate_limit
from . import services

bp = Blueprint("feed", __name__, url_prefix="/feed")


@bp.get("/<token>.ics")
@public
@limiter.limit(public_rate_limit)
def calendar(token):
    feed = services.find_feed(token)
    if feed is None:
        abort(404)
    body = services.read_feed(feed, datetime.now(UTC))
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": 'inline; filename="agenda.ics"', "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer"})


@bp.errorhandler(404)
def unknown(error):
    """Unknown, revoked or never made: the same short answer, with nothing that tells them apart."""
    return Response("Not found\n", 404, mimetype="text/plain", headers={"Cache-Control": "no-store"})
