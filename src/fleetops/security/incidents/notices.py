"""Customer notices rendered per incident from the templates beside this module: the first notice, an
update (the public timeline entries), the post-incident report (only once resolved).

Templates are plain text with Jinja's StrictUndefined: a field missing from an incident fails the
rendering instead of sending a customer a blank.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy.orm import Session

from fleetops.auth.principal import Principal
from fleetops.errors import InvalidInput
from fleetops.security.incidents import service
from fleetops.security.incidents.choices import IncidentState, Notice

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    undefined=StrictUndefined,
    autoescape=False,  # plain-text mail, never HTML  # noqa: S701
    keep_trailing_newline=True,
)
TEMPLATES.filters["when"] = lambda at: at.strftime("%Y-%m-%d %H:%M UTC") if isinstance(at, datetime) else "—"
TEMPLATES.filters["hours"] = lambda span: f"{span / timedelta(hours=1):g}"
DONE = (IncidentState.RESOLVED, IncidentState.CLOSED)


def render(session: Session, who: Principal, key: str, notice: Notice) -> str:
    incident = service.get(session, who, key)
    if notice is Notice.POST_INCIDENT and incident.state not in DONE:
        raise InvalidInput(
            f"{incident.key}: field state: {incident.state.value}; the report follows resolution"
        )
    public = [e for e in service.timeline(session, incident) if e.public]
    greeting = f"Dear {incident.customers}," if incident.customers else "Hello,"
    return TEMPLATES.get_template(f"{notice.value}.md.j2").render(
        incident=incident, public=public, greeting=greeting
    )
