"""One writer process of the concurrency test: its own app over the shared database, driven
through HTTP, logging every write it issues and the answer it got to a JSON-lines file.

Kept out of the test module so that a "spawn" child imports only this and the application.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from adda_dashboard.app import create_app
from adda_dashboard.bootstrap import bootstrap
from adda_dashboard.domain import columns as c
from adda_dashboard.settings import Settings
from tests.factories import PASSWORD

UPDATE_KINDS = (
    "update_versioned_body",
    "update_versioned_header",
    "update_stale_body",
    "update_stale_header",
    "update_legacy_partial",
    "update_legacy_full",
)
BARRIER_TIMEOUT_S = 60
REFRESH_EVERY = 20
HOT_SHARE_OF_UPDATES = 0.6
HOT_SHARE_OF_DELETES = 0.05
CONTRIBUTOR_SHARE = 0.25


def token(worker: int, seq: int) -> str:
    """A marker of fixed width, so that no token is a substring of another."""
    return f"w{worker}s{seq:04d}"


def new_entry(marker: str, email: str = "") -> dict[str, str]:
    """A Final entry whose Video Link (never updated) carries the add's marker."""
    return {
        c.SR_NO: "1",
        c.EMAIL: email,
        c.VERTICAL: "SSC",
        c.EXAM: "All",
        c.SUBJECT: "Maths",
        c.CONTENT_TYPE: "Content",
        c.SUB_CATEGORY: "Question",
        c.VIDEO_LINK: f"https://youtube.com/shorts/{marker}",
        c.EDIT: "Final",
        c.EDITOR_BRIEF: f"added {marker}",
        c.FINAL_EDITED_LINK: "",
        c.VIDEO_ID: marker,
    }


@dataclass
class WorkerPlan:
    """What one process does; plain values only, so it crosses the process boundary as is."""

    index: int
    settings: dict[str, Any]
    admin_email: str
    contributor_email: str
    hot_ids: list[int]
    operations: int
    seed: int
    log_path: str


@dataclass
class Pools:
    """The ids this process may target, as far as it knows."""

    hot: list[int]
    known: set[int] = field(default_factory=set)
    own_contributed: set[int] = field(default_factory=set)

    def forget(self, entry_id: int) -> None:
        if entry_id in self.hot:
            self.hot.remove(entry_id)
        self.known.discard(entry_id)
        self.own_contributed.discard(entry_id)


class Worker:
    def __init__(self, plan: WorkerPlan, client: TestClient, log: Any) -> None:
        self.plan = plan
        self.client = client
        self.log = log
        self.rng = random.Random(plan.seed)
        self.pools = Pools(hot=list(plan.hot_ids))
        self.headers = {
            "admin": self._login(plan.admin_email),
            "contributor": self._login(plan.contributor_email),
        }

    def _login(self, email: str) -> dict[str, str]:
        response = self.client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        if response.status_code != 200:
            raise RuntimeError(f"login of {email} failed: {response.text}")
        return {"Authorization": f"Bearer {response.json()['token']}"}

    def write(self, record: dict[str, Any]) -> None:
        self.log.write(json.dumps(record) + "\n")
        self.log.flush()

    def run(self) -> None:
        for seq in range(1, self.plan.operations + 1):
            if seq % REFRESH_EVERY == 1:
                self.refresh_known()
            roll = self.rng.random()
            role = "contributor" if self.rng.random() < CONTRIBUTOR_SHARE else "admin"
            if role == "contributor" and not self.pools.own_contributed:
                roll = 0.0  # a contributor works on its own rows: it needs one first
            marker = token(self.plan.index, seq)
            if roll < 0.4:
                self.add(seq, role, marker)
            elif roll < 0.8:
                self.update(seq, role, marker, self.target(role, HOT_SHARE_OF_UPDATES))
            else:
                self.delete(seq, role, self.target(role, HOT_SHARE_OF_DELETES))

    def refresh_known(self) -> None:
        """Learn the newest rows, whoever added them, so writes contend across processes."""
        response = self.client.get(
            "/api/data", params={"sort": "-id", "limit": "100"}, headers=self.headers["admin"]
        )
        self.write({"worker": self.plan.index, "kind": "read", "status": response.status_code})
        if response.status_code == 200:
            self.pools.known = {r["id"] for r in response.json()["data"]} - set(self.pools.hot)

    def target(self, role: str, hot_share: float) -> int:
        if role == "contributor":
            return self.rng.choice(sorted(self.pools.own_contributed))
        if self.pools.hot and (not self.pools.known or self.rng.random() < hot_share):
            return self.rng.choice(self.pools.hot)
        if self.pools.known:
            return self.rng.choice(sorted(self.pools.known))
        return self.rng.choice(self.plan.hot_ids)  # everything known is gone: expect a 404

    def record(self, seq: int, role: str, kind: str, **fields: Any) -> None:
        email = self.plan.contributor_email if role == "contributor" else self.plan.admin_email
        self.write(
            {"worker": self.plan.index, "seq": seq, "role": role, "actor": email, "kind": kind}
            | fields
        )

    def add(self, seq: int, role: str, marker: str) -> None:
        email = self.plan.contributor_email if role == "contributor" else ""
        body = new_entry(marker, email)
        response = self.client.post("/api/add", json=body, headers=self.headers[role])
        payload = safe_json(response)
        data = payload.get("data") if response.status_code == 200 else None
        self.record(
            seq,
            role,
            "add",
            marker=marker,
            sent=body,
            status=response.status_code,
            id=payload.get("id"),
            data=data,
        )
        if data is not None:
            self.pools.known.add(data["id"])
            if role == "contributor":
                self.pools.own_contributed.add(data["id"])

    def current(self, role: str, entry_id: int) -> dict[str, Any] | None:
        response = self.client.get(f"/api/entries/{entry_id}", headers=self.headers[role])
        self.write({"worker": self.plan.index, "kind": "read", "status": response.status_code})
        return response.json()["data"] if response.status_code == 200 else None

    def update(self, seq: int, role: str, marker: str, entry_id: int) -> None:
        kind = self.rng.choice(UPDATE_KINDS)
        headers = dict(self.headers[role])
        seen = None if kind == "update_legacy_partial" else self.current(role, entry_id)
        seen_version = seen["version"] if seen else 1
        shape = self.rng.choice(("brief", "link", "both"))
        values: dict[str, Any] = {}
        if shape in ("brief", "both"):
            values[c.EDITOR_BRIEF] = f"brief {marker}"
        if shape in ("link", "both"):
            values[c.FINAL_EDITED_LINK] = f"https://edit.test/{marker}"
        if kind == "update_legacy_full" and seen is not None:
            # What an old client sends: the whole row as it saw it, no version: last writer wins.
            values = {k: v for k, v in seen.items() if k != c.VERSION_KEY}
            values[c.EDITOR_BRIEF] = f"full {marker}"
        sent_version: int | None = None
        if kind.startswith("update_versioned"):
            sent_version = seen_version
        elif kind.startswith("update_stale"):
            # Versions only grow, so an older one (or one far ahead) can never match again.
            sent_version = seen_version - 1 if seen_version > 1 else seen_version + 100_000
        body = dict(values)
        if sent_version is not None and kind.endswith("_header"):
            headers["If-Match"] = f'"{sent_version}"'
        elif sent_version is not None:
            body[c.VERSION_KEY] = sent_version
        response = self.client.put(f"/api/update/{entry_id}", json=body, headers=headers)
        payload = safe_json(response)
        ok = response.status_code == 200
        self.record(
            seq,
            role,
            kind,
            target=entry_id,
            marker=marker,
            sent=values,
            sent_version=sent_version,
            status=response.status_code,
            field=payload.get("field"),
            data=payload.get("data") if ok else None,
        )
        if response.status_code == 404:
            self.pools.forget(entry_id)

    def delete(self, seq: int, role: str, entry_id: int) -> None:
        headers = dict(self.headers[role])
        kind = self.rng.choice(("delete", "delete_versioned"))
        sent_version = None
        if kind == "delete_versioned":
            seen = self.current(role, entry_id)
            sent_version = seen["version"] if seen else 1
            headers["If-Match"] = f'"{sent_version}"'
        response = self.client.delete(f"/api/delete/{entry_id}", headers=headers)
        payload = safe_json(response)
        self.record(
            seq,
            role,
            kind,
            target=entry_id,
            sent_version=sent_version,
            status=response.status_code,
            field=payload.get("field"),
        )
        if response.status_code in (200, 404):
            self.pools.forget(entry_id)


def safe_json(response: Any) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def run_worker(plan: WorkerPlan, barrier: Any) -> None:
    """Process entry point: build an app of our own, wait for the others, then write."""
    settings = Settings(_env_file=None, **plan.settings)  # type: ignore[call-arg]
    container = bootstrap(settings, run_migrations=False)
    try:
        app = create_app(container=container)
        with (
            TestClient(app, raise_server_exceptions=False) as client,
            open(plan.log_path, "w", encoding="utf-8") as log,
        ):
            worker = Worker(plan, client, log)
            barrier.wait(timeout=BARRIER_TIMEOUT_S)
            started = time.perf_counter()
            worker.run()
            worker.write(
                {
                    "worker": plan.index,
                    "kind": "done",
                    "seconds": round(time.perf_counter() - started, 2),
                }
            )
    finally:
        container.close()


def read_log(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
