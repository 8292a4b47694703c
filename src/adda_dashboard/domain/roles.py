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
# The email-only legacy sign-in proves nothing but knowledge of an address: its tokens carry at
# most these rights, whatever the account's own role.
LEGACY_CAP = Role.contributor
LEGACY_REFUSAL = (
    "signed in by email only (legacy sign-in): sign in with a password or Google for editor or "
    "admin actions"
)


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in user, or the system (CLI, import, jobs)."""

    user_id: int | None
    email: str
    role: Role
    # Set for a token of the email-only legacy sign-in: the account's own role, of which the
    # token carries at most ``LEGACY_CAP`` (``role``). None for every other sign-in.
    legacy_role: Role | None = None

    @classmethod
    def of_token(cls, user_id: int, email: str, account_role: Role, *, legacy: bool) -> Actor:
        """Who a token speaks for: the account's role, capped for a legacy token."""
        if not legacy:
            return cls(user_id, email, account_role)
        capped = account_role if RANK[account_role] <= RANK[LEGACY_CAP] else LEGACY_CAP
        return cls(user_id, email, capped, legacy_role=account_role)

    @property
    def legacy(self) -> bool:
        return self.legacy_role is not None

    def refusal(self, needs: Role, message: str) -> str:
        """The reason to give for refusing an action that ``needs`` a role: ``message``, or the
        legacy sign-in when only the token's cap stands in the way (the account has the role)."""
        if self.legacy_role is not None and RANK[self.legacy_role] >= RANK[needs]:
            return LEGACY_REFUSAL
        return message

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
# The spreadsheet's editors, as the pull applies what they typed in the sheet (audited as this).
SHEET = Actor(user_id=None, email="sheet@localhost", role=Role.editor)
