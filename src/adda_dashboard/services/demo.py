"""Realistic demo data: contributors across verticals, exams, statuses and content types."""

from __future__ import annotations

import random
import secrets
import string
from pathlib import Path

from adda_dashboard.db.engine import Database
from adda_dashboard.db.repositories import entries as entries_repo
from adda_dashboard.domain import columns as c
from adda_dashboard.domain.entry_rules import SUB_CATEGORIES, validate_entry
from adda_dashboard.domain.roles import SYSTEM, Role
from adda_dashboard.errors import Conflict
from adda_dashboard.services.entries import EntryService
from adda_dashboard.services.taxonomy import TaxonomyService
from adda_dashboard.services.users import UserService

FIRST = [
    "rahul",
    "priya",
    "amit",
    "neha",
    "vikas",
    "pooja",
    "sandeep",
    "anjali",
    "rohit",
    "kavita",
    "deepak",
    "shivani",
    "manish",
    "ritu",
    "arjun",
    "sneha",
    "gaurav",
    "nidhi",
]
LAST = ["sharma", "verma", "gupta", "singh", "yadav", "mishra", "kumar", "tiwari", "jain"]
BRIEFS = [
    "cut the dead air in the first 2 seconds",
    "add Hinglish captions",
    "zoom in on the formula at 0:12",
    "end card with subscribe call to action",
    "keep it under 58 seconds",
    "normalise audio to -14 LUFS",
    "हिंदी कैप्शन जोड़ें",
]
CONTENT_WEIGHTS = {"Exam_Information": 25, "Content": 60, "Motivational_or_Fun": 15}
ID_CHARS = string.ascii_letters + string.digits + "-_"
DEMO_ADMIN_EMAIL = "admin@adda247.com"
BATCH = 500


def demo_record(rng: random.Random, taxonomy: TaxonomyService, team: list[str]) -> dict[str, str]:
    tax = taxonomy.current
    vertical_name = rng.choice(tax.verticals)
    vertical = tax.vertical(vertical_name) or {"exams": [], "subjects": []}
    content_type = rng.choices(list(CONTENT_WEIGHTS), weights=list(CONTENT_WEIGHTS.values()))[0]
    status = "Re-edit" if rng.random() < 0.25 else "Final"
    subject = ""
    sub_category = ""
    if content_type == "Content":
        subject = rng.choice(vertical["subjects"])
        sub_category = rng.choice(SUB_CATEGORIES["Content"])
    if status == "Final":
        link = "https://youtube.com/shorts/" + "".join(rng.choice(ID_CHARS) for _ in range(11))
    else:
        drive = "".join(rng.choice(ID_CHARS) for _ in range(33))
        link = f"https://drive.google.com/file/d/{drive}/view?usp=sharing"
    exams = [e for e in vertical["exams"] if e != "All"]
    return {
        c.EMAIL: rng.choice(team),
        c.VERTICAL: vertical_name,
        c.EXAM: rng.choice(["All", *exams]),
        c.SUBJECT: subject,
        c.CONTENT_TYPE: content_type,
        c.SUB_CATEGORY: sub_category,
        c.VIDEO_LINK: link,
        c.EDIT: status,
        c.EDITOR_BRIEF: "; ".join(rng.sample(BRIEFS, k=rng.randint(0, 3))),
        c.FINAL_EDITED_LINK: "",
        c.VIDEO_ID: "",
    }


class DemoService:
    def __init__(
        self, db: Database, taxonomy: TaxonomyService, entries: EntryService, users: UserService
    ) -> None:
        self._db = db
        self._taxonomy = taxonomy
        self._entries = entries
        self._users = users

    def is_empty(self) -> bool:
        with self._db.read() as session:
            return entries_repo.count_live(session) == 0 and entries_repo.max_sr_no(session) == 0

    def seed_entries(self, count: int, *, seed: int = 42) -> int:
        """Insert ``count`` demo entries in batches; returns how many were written."""
        rng = random.Random(seed)
        domains = self._taxonomy.current.allowed_email_domains
        names = sorted({f"{f}.{last}" for f in FIRST for last in LAST})
        team = [f"{n}@{rng.choice(domains)}" for n in rng.sample(names, k=min(60, len(names)))]
        written = 0
        while written < count:
            with self._db.write() as session:
                for _ in range(min(BATCH, count - written)):
                    record = validate_entry(
                        demo_record(rng, self._taxonomy, team), self._taxonomy.current
                    )
                    self._entries.insert_validated(session, SYSTEM, record, sr_no=None)
                    written += 1
        return written

    def ensure_demo_admin(self, var_dir: Path) -> tuple[str, str] | None:
        """Create the demo admin on a database without users; returns (email, password)."""
        if self._users.count() > 0:
            return None
        password = secrets.token_urlsafe(12)
        try:
            self._users.create(
                email=DEMO_ADMIN_EMAIL, role=Role.admin, password=password, username="admin"
            )
        except Conflict:
            return None
        var_dir.mkdir(parents=True, exist_ok=True)
        path = var_dir / "demo-admin.txt"
        path.touch(mode=0o600)
        path.write_text(f"email: {DEMO_ADMIN_EMAIL}\npassword: {password}\n")
        return DEMO_ADMIN_EMAIL, password
