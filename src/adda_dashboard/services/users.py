"""User accounts: creation, roles and passwords (CLI and admin pages share these)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from adda_dashboard.adapters.passwords import hash_password
from adda_dashboard.db.base import utcnow
from adda_dashboard.db.engine import Database
from adda_dashboard.db.models import User
from adda_dashboard.db.repositories import users as users_repo
from adda_dashboard.domain.entry_rules import check_email, clean_text
from adda_dashboard.domain.roles import Role
from adda_dashboard.errors import Conflict, Invalid, NotFound
from adda_dashboard.services.taxonomy import TaxonomyService

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024


@dataclass(frozen=True)
class UserView:
    id: int
    email: str
    username: str
    role: Role
    is_active: bool

    @classmethod
    def of(cls, user: User) -> UserView:
        return cls(user.id, user.email, user.username, Role(user.role), user.is_active)

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "email": self.email,
            "username": self.username,
            "role": self.role.value,
            "is_active": self.is_active,
        }


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
) -> User:
    """Add an account inside the caller's transaction; a taken email or username is 409."""
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
