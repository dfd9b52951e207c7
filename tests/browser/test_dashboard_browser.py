"""The owner opens the dashboard of the demo practice in headless Chromium: every chart has bars, the period
switch swaps the figures through htmx, and the browser reports no errors (the strict CSP included)."""
from datetime import date

from practice.demo import DEMO_PASSWORD, OWNER_EMAIL, load_demo

CHARTS = {"moves", "messages-email", "messages-sms", "not-sent", "no-shows"}
DRAWN_BARS = """svg => [...svg.querySelectorAll('rect.bar')].filter(bar => bar.getBBox().height > 0
                                                                          && bar.getBBox().width > 0).length"""


def _drawn_bars(page) -> dict[str, int]:
    charts = page.locator("svg[data-test=chart]")
    return {charts.nth(n).get_attribute("data-chart"): charts.nth(n).evaluate(DRAWN_BARS)
            for n in range(charts.count())}


def test_the_demo_dashboard_draws_every_chart_without_console_errors(app, page, tmp_path):
    with app.app_context():
        load_demo(date.today())

    page.goto("/login?next=/dashboard/")
    page.get_by_label("E-mail address").fill(OWNER_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator("[data-test=dashboard]").wait_for()
    assert page.get_by_role("link", name="Dashboard").get_attribute("aria-current") == "page"

    bars = _drawn_bars(page)
    assert set(bars) == CHARTS, bars
    assert all(count > 0 for count in bars.values()), f"an empty chart: {bars}"
    assert page.locator("[data-test=attention]").is_visible()

    screenshot = tmp_path / "dashboard.png"
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(screenshot), full_page=True)
    png = screenshot.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 30_000, len(png)

    # Another period: only the figures are swapped (htmx), the attention list stays, the URL follows.
    with page.expect_response(lambda r: "period=12m" in r.url) as caught:
        page.get_by_role("link", name="Last 12 months").click()
    assert caught.value.request.headers.get("hx-request") == "true"
    page.locator("[data-test=dashboard][data-period='12m']").wait_for()
    assert page.url.endswith("/dashboard/?period=12m")
    assert page.locator("[data-test=attention]").count() == 1
    bars = _drawn_bars(page)
    assert set(bars) == CHARTS and all(count > 0 for count in bars.values()), bars

    # The page is kept for a minute; "count now" counts it at once and comes back to the same period.
    page.get_by_role("link", name="Count now").click()
    page.locator("[data-test=dashboard][data-period='12m']").wait_for()
    assert page.url.endswith("/dashboard/?period=12m") and page.locator("[data-test=attention]").count() == 1
    assert page.console_errors == []
