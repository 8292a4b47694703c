"""User administration in the service, on SQLite and PostgreSQL: roles, access, who may do it,
and that nothing an admin does can leave the dashboard without an admin."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest

from adda_dashboard.bootstrap import Container, bootstrap
from adda_dashboard.db.repositories import audit
from adda_dashboard.db.repositories import users as users_repo
from adda_dashboard.domain.roles import Actor, Role
from adda_dashboard.errors import Forbidden, Invalid, NotFound, Unauthorized
from adda_dashboard.services.users import UserView
from tests import factories
from tests.conftest import make_settings
from tests.redis_support import redis_url_or_skip


def actor_of(container: Container, email: str) -> Actor:
    view = by_email(container, email)
    return Actor(user_id=view.id, email=view.email, role=view.role)


def by_email(container: Container, email: str) -> UserView:
    return next(u for u in container.users.list() if u.email == email)


def token_of(container: Container, email: str) -> str:
    session = container.auth.login({"email": email, "password": factories.PASSWORD})
    return f"Bearer {session['token']}"


def stored(container: Container, user_id: int) -> tuple[str, bool, int]:
    with container.db.read() as session:
        user = users_repo.get_by_id(session, user_id)
        assert user is not None
        return user.role, user.is_active, user.token_version


def test_an_admin_changes_a_role_and_it_applies_to_the_next_request(container: Container) -> None:
    admin = actor_of(container, factories.make_user(container, Role.admin))
    email = factories.make_user(container, Role.viewer)
    token = token_of(container, email)
    target = by_email(container, email)
    changed = container.users.change_role(admin, target.id, "editor")
    assert changed.role is Role.editor
    assert stored(container, target.id)[0] == "editor"
    # The person stays signed in and their very next request carries the new role.
    assert container.gate.admit(token).actor.role is Role.editor


def test_deactivation_revokes_every_token_and_activation_needs_a_new_sign_in(
    container: Container,
) -> None:
    admin = actor_of(container, factories.make_user(container, Role.admin))
    email = factories.make_user(container, Role.editor)
    token = token_of(container, email)
    target = by_email(container, email)
    assert container.gate.admit(token).actor.email == email
    view = container.users.set_active(admin, target.id, "false")
    assert view.is_active is False
    with pytest.raises(Unauthorized):
        container.gate.admit(token)
    # Deactivated means no new session either.
    with pytest.raises(Unauthorized):
        token_of(container, email)
    container.users.set_active(admin, target.id, True)
    with pytest.raises(Unauthorized):
        container.gate.admit(token)  # the old token stays revoked
    fresh = token_of(container, email)
    assert container.gate.admit(fresh).actor.role is Role.editor


def test_with_redis_another_server_refuses_a_deactivated_user_at_once(
    container: Container, database_url: str, tmp_path: Path
) -> None:
    """Servers sharing Redis cache user facts there; a deactivation on one must not leave the
    other admitting the user's token from its cache."""
    settings = make_settings(
        database_url,
        tmp_path,
        redis_url=redis_url_or_skip(),
        cache_prefix=f"t{uuid.uuid4().hex[:8]}",
    )
    here = bootstrap(settings, run_migrations=False)
    there = bootstrap(settings, run_migrations=False)
    try:
        admin = actor_of(here, factories.make_user(here, Role.admin))
        email = factories.make_user(here, Role.editor)
        token = token_of(here, email)
        assert there.gate.admit(token).actor.role is Role.editor  # now cached in Redis
        here.users.change_role(admin, by_email(here, email).id, Role.contributor)
        assert there.gate.admit(token).actor.role is Role.contributor
        here.users.set_active(admin, by_email(here, email).id, False)
        with pytest.raises(Unauthorized):
            there.gate.admit(token)
    finally:
        here.close()
        there.close()


def test_an_admin_can_neither_demote_nor_deactivate_themselves(container: Container) -> None:
    email = factories.make_user(container, Role.admin)
    admin = actor_of(container, email)
    before = stored(container, admin.user_id or 0)
    for role in ("editor", "contributor", "viewer"):
        with pytest.raises(Forbidden) as refused:
            container.users.change_role(admin, admin.user_id or 0, role)
        assert refused.value.field == "role"
        assert "your own role" in refused.value.message
    with pytest.raises(Forbidden) as refused:
        container.users.set_active(admin, admin.user_id or 0, False)
    assert refused.value.field == "active"
    assert stored(container, admin.user_id or 0) == before
    # Confirming one's own admin role changes nothing and is allowed.
    assert container.users.change_role(admin, admin.user_id or 0, "admin").role is Role.admin


@pytest.mark.parametrize("role", [Role.viewer, Role.contributor, Role.editor])
def test_a_non_admin_is_refused_everything_and_changes_nothing(
    container: Container, role: Role
) -> None:
    actor = actor_of(container, factories.make_user(container, role))
    target = by_email(container, factories.make_user(container, Role.viewer))
    before = stored(container, target.id)
    calls = [
        lambda: container.users.change_role(actor, target.id, "admin"),
        lambda: container.users.change_role(actor, actor.user_id or 0, "admin"),
        lambda: container.users.change_role(actor, target.id, "not a role"),
        lambda: container.users.set_active(actor, target.id, False),
        lambda: container.users.admin_page(actor),
        lambda: container.users.admin_page(actor, page="not a number"),
        lambda: container.users.get(actor, target.id),
        lambda: container.users.verify_email(actor, target.id),
    ]
    for call in calls:
        with pytest.raises(Forbidden):
            call()
    assert stored(container, target.id) == before
    assert stored(container, actor.user_id or 0)[0] == role.value


def test_an_admin_confirms_an_address_by_hand_and_it_is_audited(container: Container) -> None:
    admin = actor_of(container, factories.make_user(container, Role.admin))
    email = "signed.up@adda247.com"
    container.auth.signup(
        {
            "username": "signed.up",
            "email": email,
            "password": factories.PASSWORD,
            "confirm_password": factories.PASSWORD,
        }
    )
    waiting = by_email(container, email)
    assert waiting.email_verified is False
    with pytest.raises(Unauthorized, match="a link was sent"):
        token_of(container, email)

    confirmed = container.users.verify_email(admin, waiting.id)
    assert confirmed.email_verified is True
    assert container.users.verify_email(admin, waiting.id).email_verified is True  # idempotent
    with container.db.read() as session:
        records = audit.list_for_entity(session, "user", waiting.id)
        assert [(r.action, r.actor_id, r.actor_email) for r in records] == [
            ("verify_email", admin.user_id, admin.email)
        ]
        assert records[0].changes == {
            "email": email,
            "email_verified": {"from": False, "to": True},
        }
    assert container.gate.admit(token_of(container, email)).actor.email == email


def test_an_admin_demoted_meanwhile_can_no_longer_change_roles(container: Container) -> None:
    """The acting admin's role is read again under the lock, not trusted from the token."""
    first = actor_of(container, factories.make_user(container, Role.admin))
    second = actor_of(container, factories.make_user(container, Role.admin))
    container.users.change_role(first, second.user_id or 0, "viewer")
    # ``second`` still holds an Actor that says admin, as a request admitted earlier would.
    with pytest.raises(Forbidden):
        container.users.change_role(second, first.user_id or 0, "viewer")
    assert stored(container, first.user_id or 0)[0] == "admin"


def test_two_admins_demoting_each_other_at_once_leave_one_admin(container: Container) -> None:
    first = actor_of(container, factories.make_user(container, Role.admin))
    second = actor_of(container, factories.make_user(container, Role.admin))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def demote(actor: Actor, other: Actor) -> None:
        barrier.wait()
        try:
            container.users.change_role(actor, other.user_id or 0, "viewer")
            outcomes.append("done")
        except Forbidden:
            outcomes.append("refused")

    threads = [
        threading.Thread(target=demote, args=(first, second)),
        threading.Thread(target=demote, args=(second, first)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["done", "refused"]
    roles = {stored(container, a.user_id or 0)[0] for a in (first, second)}
    assert roles == {"admin", "viewer"}


def test_bad_input_names_its_field_and_changes_nothing(container: Container) -> None:
    admin = actor_of(container, factories.make_user(container, Role.admin))
    target = by_email(container, factories.make_user(container, Role.contributor))
    before = stored(container, target.id)
    cases: list[tuple[object, str]] = [
        (lambda: container.users.change_role(admin, target.id, "owner"), "role"),
        (lambda: container.users.change_role(admin, target.id, ""), "role"),
        (lambda: container.users.set_active(admin, target.id, "maybe"), "active"),
        (lambda: container.users.admin_page(admin, page="0"), "page"),
        (lambda: container.users.admin_page(admin, page="2x"), "page"),
        (lambda: container.users.admin_page(admin, query="x" * 300), "q"),
    ]
    for call, field in cases:
        with pytest.raises(Invalid) as refused:
            call()  # type: ignore[operator]
        assert refused.value.field == field
    assert stored(container, target.id) == before
    with pytest.raises(NotFound):
        container.users.change_role(admin, 987_654, "viewer")


def test_the_list_searches_email_and_username_and_pages_by_email(container: Container) -> None:
    admin = actor_of(container, factories.make_user(container, Role.admin))
    for n in range(7):
        container.users.create(
            email=f"zz.search{n}@adda247.com",
            username=f"needle_{n}",
            role=Role.viewer,
            password=factories.PASSWORD,
        )
    container.users.create(
        email="other.person@adda247.com",
        username="needle%odd",
        role=Role.viewer,
        password=factories.PASSWORD,
    )
    first = container.users.admin_page(admin, query="ZZ.SEARCH", page=1, per_page=3)
    assert first.total == 7 and first.pages == 3 and first.has_next and not first.has_previous
    assert [u.email for u in first.items] == [f"zz.search{n}@adda247.com" for n in range(3)]
    last = container.users.admin_page(admin, query="zz.search", page="3", per_page=3)
    assert [u.email for u in last.items] == ["zz.search6@adda247.com"]
    # A page past the end shows the last one rather than an empty table.
    beyond = container.users.admin_page(admin, query="zz.search", page=40, per_page=3)
    assert beyond.page == 3 and beyond.items == last.items
    # LIKE's wildcards in a search are plain characters.
    assert [u.username for u in container.users.admin_page(admin, query="%").items] == [
        "needle%odd"
    ]
    assert container.users.admin_page(admin, query="needle_").total == 7
    assert container.users.admin_page(admin, query="no such person").total == 0
