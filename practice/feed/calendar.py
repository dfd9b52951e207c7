"""The feed as iCalendar text (RFC 5545) from plain values: no Flask, no ORM."""
from dataclasses import dataclass
from datetime import UTC, datetime

import icalendar


@dataclass(frozen=True)
class FeedEvent:
    uid: str  # the same for an appointment however often it moves: the phone updates it in place
    start: datetime
    end: datetime
    summary: str
    location: str
    changed_at: datetime


def feed_ics(name: str, events: list[FeedEvent]) -> bytes:
    """A subscribed calendar: no METHOD (it is a published feed, not an invitation), every time in UTC."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//practice//calendar feed//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    # How often a calendar app should fetch the feed again (RFC 7986 and the older Microsoft property).
    calendar.add("refresh-interval", icalendar.vDuration.from_ical("PT1H"), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for item in events:
        event = icalendar.Event()
        event.add("uid", item.uid)
        # Without a METHOD, DTSTAMP is when the event last changed in our store (RFC 5545 3.8.7.2).
        event.add("dtstamp", item.changed_at.astimezone(UTC))
        event.add("last-modified", item.changed_at.astimezone(UTC))
        event.add("dtstart", item.start.astimezone(UTC))
        event.add("dtend", item.end.astimezone(UTC))
        event.add("summary", item.summary)
        if item.location:
            event.add("location", item.location)
        event.add("status", "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()
