"""Roles and what each may do. Checked in the services, never in routes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    viewer = "viewer"
    contributor = "contributor"
    editor = "editor"
    admin = "admin"


RANK = {Role.viewer: 0, Role.contributor: 1, Role.editor: 2, Role.admin: 3}


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in user, or the system (CLI, import, jobs)."""

    user_id: int | None
    email: str
    role: Role

    def at_least(self, role: Role) -> bool:
        return RANK[self.role] >= RANK[role]

    def owns(self, email: str) -> bool:
        return self.email.lower() == email.lower()

    @property
    def can_write_entries(self) -> bool:
        return self.at_least(Role.contributor)

    def can_edit_entry_of(self, owner_email: str) -> bool:
        return self.at_least(Role.editor) or (self.can_write_entries and self.owns(owner_email))

    def can_delete_entry_of(self, owner_email: str) -> bool:
        return self.role is Role.admin or (self.can_write_entries and self.owns(owner_email))

    def may_credit(self, email: str) -> bool:
        """Whether this actor may set an entry's contributor email to ``email``."""
        return self.at_least(Role.editor) or self.owns(email)


SYSTEM = Actor(user_id=None, email="system@localhost", role=Role.admin)
