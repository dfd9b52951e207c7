from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _

from .. import practice
from ..htmx import render_page
from ..web import owner_required
from . import services
from .forms import PracticeForm

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.route("/", methods=["GET", "POST"])
@owner_required
def practice_details():
    current = practice()
    form = PracticeForm(obj=current)
    if form.validate_on_submit():
        services.store_practice(current, **{name: form[name].data for name in (
            "name", "email", "phone", "timezone", "country", "subdivision", "sms_enabled")})
        flash(_("Settings saved."), "info")
        return redirect(url_for(".practice_details"))
    status = 422 if form.errors else 200
    return render_page("settings/practice.html", "settings/_practice_form.html", status, form=form)
