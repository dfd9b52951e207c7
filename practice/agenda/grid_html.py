"""The agenda grid's body (its rows and cells) as HTML, written here rather than in the template: a busy day of fifteen
practitioners has about 450 cells, and Jinja spent more than half of the page's time on them (escaping every number
and joining thousands of pieces). Names are escaped; everything else is numbers, ISO dates and our own labels.

The cells, by the kind of block (availability.day_blocks):
  booked    the appointment, a link that opens it in the panel
  free      a button that opens the booking panel filled in with practitioner, location, day and time
  time_off  marked, not clickable
  closed    empty
"""
from markupsafe import Markup, escape

from ..availability import BOOKED, FREE, TIME_OFF


def grid_body(grid, *, appointment_url: str, new_url: str, time_off: str, no_show: str, confirmed: str) -> Markup:
    """`grid`: agenda.grid.Grid; `appointment_url`: the address an appointment's id is appended to; `new_url`: the
    booking panel's address; `time_off`, `no_show`, `confirmed`: the words shown. Written once per grid and words:
    a grid that is remembered (agenda.grid._laid_out) keeps what was written of it."""
    how = (appointment_url, new_url, time_off, no_show, confirmed)
    if how not in grid.written:
        grid.written[how] = _written(grid, *how)
    return grid.written[how]


def _written(grid, appointment_url: str, new_url: str, time_off: str, no_show: str, confirmed: str) -> Markup:
    time_off_cell = f'class="time-off" data-test="time-off"><span>{escape(time_off)}</span></td>'
    no_show_note = f" · {escape(no_show)}"
    confirmed_mark = f' <span class="confirmed" title="{escape(confirmed)}" data-test="confirmed">✓</span>'
    lanes = {id(lane): (lane.day.isoformat(), lane.practitioner.id, escape(lane.practitioner.name))
             for lane in grid.lanes}  # each lane's day and practitioner, written once
    type_names = {}  # escaped once per appointment type: a day has hundreds of appointments and a few types
    html = []
    write = html.append
    for row, cells in grid.table:
        write("<tr>")
        if row.minute % 60 == 0:
            write(f'<th scope="row" rowspan="12" class="hour">{row.label}</th>')
        for lane, block in cells:
            kind = block.kind
            if kind == BOOKED:
                item = block.what
                url = f"{appointment_url}{item.id}"
                type_name = type_names.get(item.type_name) or type_names.setdefault(item.type_name,
                                                                                    escape(item.type_name))
                write(f'\n<td rowspan="{block.rows}" class="booked"><a class="appointment type-'
                      f'{item.appointment_type_id} status-{item.status}" href="{url}" hx-get="{url}" '
                      f'data-test="appointment"><time datetime="{item.moment}">{item.times}</time>'
                      f'{confirmed_mark if item.confirmed else ""}\n<strong>{escape(item.client_name)}</strong>\n'
                      f'<span>{type_name}{no_show_note if item.status == "no_show" else ""}</span></a></td>')
            elif kind == FREE:
                day, person, name = lanes[id(lane)]
                label = block.row.label
                write(f'\n<td rowspan="{block.rows}" class="free"><button type="button" class="slot" hx-get="'
                      f'{new_url}?day={day}&amp;practitioner={person}&amp;location={block.what}&amp;time={label}" '
                      f'data-test="free-time" data-day="{day}" title="{name}">{label}</button></td>')
            elif kind == TIME_OFF:
                write(f'\n<td rowspan="{block.rows}" {time_off_cell}')
            else:
                write(f'\n<td rowspan="{block.rows}" class="closed" data-test="closed" data-day="{lanes[id(lane)][0]}">'
                      '</td>')
        write("</tr>\n")
    return Markup("".join(html))
