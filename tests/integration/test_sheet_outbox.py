"""The spreadsheet mirror's outbox: every committed change of an entry or a ticket leaves one
row in its own transaction while the mirror is on, a rolled-back change leaves none, and with
the mirror off nothing is written (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from adda_dashboard.bootstrap import Container
from adda_dashboard.db import migrate
from adda_dashboard.db.models import SheetOutbox
from adda_dashboard.domain import columns as c
from adda_dashboard.domain.roles import SYSTEM
from adda_dashboard.services.tickets import new_ticket_id
from tests import factories
from tests.backends import reset
from tests.http.auth_support import own_container


@pytest.fixture
def mirrored(database_url: str, var_dir: Path) -> Iterator[Container]:
    reset(database_url)
    with own_container(database_url, var_dir, sheets_mirror=True) as container:
        yield container


@pytest.fixture
def unmirrored(database_url: str, var_dir: Path) -> Iterator[Container]:
    reset(database_url)
    with own_container(database_url, var_dir, sheets_mirror=False) as container:
        yield container


def outbox(container: Container) -> list[tuple[str, int, str]]:
    with container.db.read() as session:
        rows = session.execute(
            select(SheetOutbox.entity, SheetOutbox.entity_id, SheetOutbox.action).order_by(
                SheetOutbox.id
            )
        ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def ticket_body(ticket_id: str) -> dict[str, str]:
    return {
        "Ticket ID": ticket_id,
        "Vertical": "SSC",
        "Exam Name": "CGL",
        "Subject": "Maths",
        "Issue Type": "Wrong Data Entry",
        "Status": "Open",
        "Issue Text": "Row 4 has the wrong exam",
    }


def every_kind_of_change(container: Container) -> tuple[int, str]:
    entry = container.entries.add(SYSTEM, factories.valid_entry(Email="rahul.sharma@adda247.com"))
    entry_id = entry[c.ID_KEY]
    container.entries.update(SYSTEM, entry_id, {c.EDITOR_BRIEF: "Cut the intro"})
    container.entries.update(
        SYSTEM,
        entry_id,
        {c.EDIT: "Re-edit", c.VIDEO_LINK: "https://drive.google.com/file/d/abcDEF123/view"},
    )
    container.entries.delete(SYSTEM, entry_id)
    container.entries.restore(SYSTEM, entry_id)
    ticket_id = new_ticket_id()
    container.tickets.raise_ticket(SYSTEM, ticket_body(ticket_id))
    container.tickets.change_status(SYSTEM, ticket_id, {"status": "Resolved"})
    return entry_id, ticket_id


def test_every_committed_change_of_an_entry_or_ticket_leaves_one_outbox_row(
    mirrored: Container,
) -> None:
    entry_id, _ticket = every_kind_of_change(mirrored)
    rows = outbox(mirrored)
    assert rows[:5] == [
        ("entry", entry_id, "create"),
        ("entry", entry_id, "update"),
        ("entry", entry_id, "update"),
        ("entry", entry_id, "delete"),
        ("entry", entry_id, "restore"),
    ]
    assert [(entity, action) for entity, _id, action in rows[5:]] == [
        ("ticket", "create"),
        ("ticket", "update"),
    ]


def test_a_rolled_back_change_leaves_no_outbox_row(mirrored: Container) -> None:
    class Abandoned(Exception):
        pass

    record = factories.valid_entry()
    record.pop(c.SR_NO, None)
    with pytest.raises(Abandoned), mirrored.db.write() as session:
        mirrored.entries.insert_validated(session, SYSTEM, record, sr_no=None)
        raise Abandoned
    assert outbox(mirrored) == []


def test_with_the_mirror_off_no_outbox_row_is_written(unmirrored: Container) -> None:
    every_kind_of_change(unmirrored)
    assert outbox(unmirrored) == []


def test_the_models_and_the_migrations_agree_on_the_mirror_tables(database_url: str) -> None:
    migrate.check(database_url)
