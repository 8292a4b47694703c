"""User accounts: creation, roles, passwords and access (the CLI and the admin pages share these).

Changes made from the admin pages apply at once: the request gate reads a user's role and
active flag on every request (the shared cache of those facts is dropped on every change), and
deactivation also revokes every token the user holds.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from adda_dashboard.adapters.passwords import hash_password
from adda_dashboard.db.base import utcnow
from adda_dashboard.db.engine import Database
from adda_dashboard.db.models import User
from adda_dashboard.db.repositories import audit
from adda_dashboard.db.repositories import email_verifications as links_repo
from adda_dashboard.db.repositories import users as users_repo
from adda_dashboard.domain.bounds import MAX_PAGE_NUMBER, ascii_digits
from adda_dashboard.domain.entry_rules import check_email, clean_text
from adda_dashboard.domain.roles import Actor, Role
from adda_dashboard.errors import Conflict, Forbidden, Invalid, NotFound
from adda_dashboard.services.taxonomy import TaxonomyService

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
PAGE_SIZE = 25
MAX_SEARCH_LENGTH = 254


@dataclass(frozen=True)
class UserView:
    id: int
    email: str
    username: str
    role: Role
    is_active: bool
    created_at: datetime | None = None
    last_login_at: datetime | None = None
    email_verified: bool = True

    @classmethod
    def of(cls, user: User) -> UserView:
        return cls(
            user.id,
            user.email,
            user.username,
            Role(user.role),
            user.is_active,
            user.created_at,
            user.last_login_at,
            user.email_verified_at is not None,
        )

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "email": self.email,
            "username": self.username,
            "role": self.role.value,
            "is_active": self.is_active,
            "email_verified": self.email_verified,
        }


@dataclass(frozen=True)
class UserPage:
    """One page of the admin's user list; ``page`` is within ``1..pages`` (a page past the end
    shows the last one)."""

    items: list[UserView]
    total: int
    page: int
    per_page: int
    query: str

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def require_admin(actor: Actor, action: str) -> None:
    """403 unless ``actor`` is an admin; ``action`` completes "Only an admin may ..."."""
    if not actor.at_least(Role.admin):
        raise Forbidden(actor.refusal(Role.admin, f"Only an admin may {action}"))


def parse_page(value: int | str | None) -> int:
    if value is None or value == "":
        return 1
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and ascii_digits(value.strip()):
        number = int(value.strip())
    else:
        raise Invalid("'page' must be a whole number of at least 1", field="page")
    if not 1 <= number <= MAX_PAGE_NUMBER:
        raise Invalid(f"'page' must be a whole number from 1 to {MAX_PAGE_NUMBER}", field="page")
    return number


def parse_active(value: bool | str | None) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise Invalid("'active' must be true or false", field="active")


def check_password(password: object, field: str = "password") -> str:
    if not isinstance(password, str) or not password:
        raise Invalid("Password is required", field=field)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            f"Password must be at least {MIN_PASSWORD_LENGTH} characters long", field=field
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise Invalid(f"Password must be at most {MAX_PASSWORD_LENGTH} characters", field=field)
    return password


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise Invalid(f"'role' must be one of: {allowed}", field="role") from None


def insert_unique_user(
    session: Session,
    *,
    email: str,
    username: str,
    password_hash: str | None,
    role: Role,
    auth_source: str,
    verified: bool,
) -> User:
    """Add an account inside the caller's transaction; a taken email or username is 409.

    ``verified``: whether the address is proven already (an operator made the account); a
    password sign-up's is not until its emailed link is opened."""
    if users_repo.get_by_username(session, username):
        raise Conflict("Username already exists", field="username")
    if users_repo.get_by_email(session, email):
        raise Conflict("Email already registered", field="email")
    return users_repo.insert(
        session,
        User(
            email=email,
            username=username,
            password_hash=password_hash,
            role=role.value,
            auth_source=auth_source,
            email_verified_at=utcnow() if verified else None,
        ),
    )


class UserService:
    def __init__(self, db: Database, taxonomy: TaxonomyService) -> None:
        self._db = db
        self._taxonomy = taxonomy

    def create(
        self,
        *,
        email: str,
        role: Role,
        password: str | None,
        username: str | None = None,
        auth_source: str = "password",
    ) -> UserView:
        email = check_email(
            clean_text("email", email, max_length=254),
            self._taxonomy.current.allowed_email_domains,
            field="email",
        )
        username = clean_text("username", username or email.split("@")[0], max_length=254)
        if not username:
            raise Invalid("Username is required", field="username")
        password_hash = hash_password(check_password(password)) if password is not None else None
        with self._db.write() as session:
            user = insert_unique_user(
                session,
                email=email,
                username=username,
                password_hash=password_hash,
                role=role,
                auth_source=auth_source,
                verified=True,  # made by an operator (the CLI, an admin, the demo seed)
            )
            return UserView.of(user)

    def set_role(self, email: str, role: Role) -> UserView:
        with self._db.write() as session:
            user = users_repo.get_by_email(session, email)
            if user is None:
                raise NotFound(f"No user {email}", field="email")
            user.role = role.value
            user.token_version += 1  # a changed role takes effect on the next sign-in
            user.updated_at = utcnow()
            return UserView.of(user)

    def reset_password(self, email: str, password: str | None = None) -> tuple[UserView, str]:
        """Set a new password (generated when none is given) and revoke existing tokens."""
        new_password = password or secrets.token_urlsafe(12)
        check_password(new_password)
        with self._db.write() as session:
            user = users_repo.get_by_email(session, email)
            if user is None:
                raise NotFound(f"No user {email}", field="email")
            user.password_hash = hash_password(new_password)
            user.token_version += 1
            user.updated_at = utcnow()
            return UserView.of(user), new_password

    def list(self) -> list[UserView]:
        with self._db.read() as session:
            return [UserView.of(u) for u in users_repo.list_all(session)]

    def count(self) -> int:
        with self._db.read() as session:
            return users_repo.count(session)

    # Administration (admin pages) ----------------------------------------------------------

    def admin_page(
        self,
        actor: Actor,
        *,
        query: str = "",
        page: int | str | None = 1,
        per_page: int = PAGE_SIZE,
    ) -> UserPage:
        """Users whose email or username contains ``query``, ``per_page`` at a time by email."""
        require_admin(actor, "list users")
        query = clean_text("q", query or "", max_length=MAX_SEARCH_LENGTH)
        number = parse_page(page)
        with self._db.read() as session:
            rows, total = users_repo.search_page(
                session, query, limit=per_page, offset=(number - 1) * per_page
            )
            last = max(1, math.ceil(total / per_page))
            if number > last:
                number = last
                rows, total = users_repo.search_page(
                    session, query, limit=per_page, offset=(number - 1) * per_page
                )
            items = [UserView.of(u) for u in rows]
        return UserPage(items=items, total=total, page=number, per_page=per_page, query=query)

    def get(self, actor: Actor, user_id: int) -> UserView:
        require_admin(actor, "see user accounts")
        with self._db.read() as session:
            user = users_repo.get_by_id(session, user_id)
            if user is None:
                raise NotFound("No such user: the account may have been removed", field="user")
            return UserView.of(user)

    def change_role(self, actor: Actor, user_id: int, role: Role | str) -> UserView:
        """Give a user another role; it applies from their next request, without signing them
        out. An admin cannot change their own role: demoting the last admin would leave no one
        able to undo it."""
        require_admin(actor, "change roles")
        new_role = role if isinstance(role, Role) else parse_role(role)
        with self._db.write() as session:
            user = self._lock_target(session, actor, user_id, "change roles")
            if user.id == actor.user_id and new_role is not Role.admin:
                raise Forbidden(
                    "You cannot change your own role: ask another admin, so that the dashboard "
                    "always keeps an admin",
                    field="role",
                )
            if user.role != new_role.value:
                user.role = new_role.value
                user.updated_at = utcnow()
            return UserView.of(user)

    def set_active(self, actor: Actor, user_id: int, active: bool | str) -> UserView:
        """Deactivate (every token of the user is revoked: their next request is refused) or
        activate again (they sign in anew). An admin cannot deactivate their own account."""
        require_admin(actor, "activate or deactivate accounts")
        wanted = parse_active(active)
        with self._db.write() as session:
            user = self._lock_target(session, actor, user_id, "activate or deactivate accounts")
            if user.id == actor.user_id and not wanted:
                raise Forbidden(
                    "You cannot deactivate your own account: ask another admin, so that the "
                    "dashboard always keeps an admin",
                    field="active",
                )
            if user.is_active != wanted:
                user.is_active = wanted
                if not wanted:
                    user.token_version += 1
                user.updated_at = utcnow()
            return UserView.of(user)

    def verify_email(self, actor: Actor, user_id: int) -> UserView:
        """Mark a user's address as proven by an admin's word instead of the emailed link (the
        way in where no mail server is configured, or for a lost email). Audited, since the
        admin's word then stands for the proof."""
        require_admin(actor, "confirm email addresses")
        with self._db.write() as session:
            user = self._lock_target(session, actor, user_id, "confirm email addresses")
            if user.email_verified_at is None:
                user.email_verified_at = user.updated_at = utcnow()
                links_repo.delete_unused_for_user(session, user.id)
                audit.append(
                    session,
                    entity="user",
                    entity_id=user.id,
                    action="verify_email",
                    actor=actor,
                    changes={"email": user.email, "email_verified": {"from": False, "to": True}},
                )
            return UserView.of(user)

    @staticmethod
    def _lock_target(session: Session, actor: Actor, user_id: int, action: str) -> User:
        """The target user, locked with the acting admin's own row.

        The actor's role was read when the request was admitted; reading it again under the
        lock means two admins demoting each other at once cannot both succeed (which would
        leave no admin): the second one finds it is no longer an admin.
        """
        ids = {user_id} if actor.user_id is None else {user_id, actor.user_id}
        rows = users_repo.lock_by_ids(session, ids)
        if actor.user_id is not None:
            acting = rows.get(actor.user_id)
            if acting is None or not acting.is_active or acting.role != Role.admin.value:
                raise Forbidden(f"Only an admin may {action}")
        user = rows.get(user_id)
        if user is None:
            raise NotFound("No such user: the account may have been removed", field="user")
        return user
