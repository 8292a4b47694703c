"""Dependencies shared by the routers: the container, the body, and who is asking."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request

from adda_dashboard.bootstrap import Container
from adda_dashboard.domain.bounds import MAX_ID, MAX_OFFSET, ascii_digits
from adda_dashboard.domain.roles import Actor, Role
from adda_dashboard.errors import Invalid
from adda_dashboard.http.body import json_body


def get_container(request: Request) -> Container:
    return request.app.state.container


ContainerDep = Annotated[Container, Depends(get_container)]
JsonBody = Annotated[Any, Depends(json_body)]
# Integer parameters, bounded so that no number reaches the database out of its range.
RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="A stored row's id")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip")]
VersionParam = Annotated[int | None, Query(ge=1, le=MAX_ID, description="The row's version")]

ANONYMOUS_READER = Actor(user_id=None, email="anonymous@localhost", role=Role.viewer)


def current_actor(request: Request, container: ContainerDep) -> Actor:
    """The one token check: a valid, unrevoked access token or 401."""
    return container.gate.admit(request.headers.get("authorization")).actor


def reading_actor(request: Request, container: ContainerDep) -> Actor:
    """Like ``current_actor``, except that an operator may open reads to everyone."""
    header = request.headers.get("authorization")
    if container.settings.open_reads and not header:
        return ANONYMOUS_READER
    return container.gate.admit(header).actor


def optional_actor(request: Request, container: ContainerDep) -> Actor | None:
    """For endpoints the original left open (tickets): a token is used when sent, and checked."""
    header = request.headers.get("authorization")
    if not header:
        return None
    return container.gate.admit(header).actor


CurrentActor = Annotated[Actor, Depends(current_actor)]
ReadingActor = Annotated[Actor, Depends(reading_actor)]
OptionalActor = Annotated[Actor | None, Depends(optional_actor)]


def if_match_version(request: Request) -> int | None:
    """The version in an ``If-Match: "<version>"`` header, if any."""
    raw = request.headers.get("if-match")
    if not raw:
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    if not ascii_digits(value) or int(value) > MAX_ID:
        raise Invalid('If-Match must be an entry version such as "3"', field="If-Match")
    return int(value)


IfMatch = Annotated[int | None, Depends(if_match_version)]
