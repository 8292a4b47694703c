"""Add many demo entries fast, for the growth runs: ``python -m bench.bulk_seed --entries N``.

``adda-dashboard seed-demo`` inserts entry by entry through the service (an ORM round trip, an
audit row and two counter bumps each), which is right for a demo and far too slow for 100,000
entries on a small machine. This builds the same records with the same rules (``demo_record``,
``validate_entry``) and writes them with multi-row INSERTs in one transaction: the entries,
one "create" audit row each, the serial counter moved past them and one dataset-version bump
(which stamps the new rows with it, as every write does).
It lives in the benchmark, not in the application, and reads settings from ``ADDA_*`` like the
CLI does.
"""

from __future__ import annotations

import argparse
import random
import time

from sqlalchemy import insert, select

from adda_dashboard.bootstrap import bootstrap
from adda_dashboard.db.models import AuditRecord, Entry
from adda_dashboard.db.repositories import counters
from adda_dashboard.db.repositories import entries as entries_repo
from adda_dashboard.domain import columns as c
from adda_dashboard.domain.entry_rules import validate_entry
from adda_dashboard.domain.records import to_attributes
from adda_dashboard.domain.roles import SYSTEM
from adda_dashboard.services.demo import FIRST, LAST, demo_record
from adda_dashboard.services.entries import ENTITY, bump_dataset_version
from adda_dashboard.settings import Settings

CHUNK = 5000


def bulk_seed(count: int, seed: int) -> float:
    """Insert ``count`` entries; returns the seconds it took (set-up excluded)."""
    container = bootstrap(Settings(), run_migrations=False)
    try:
        taxonomy = container.taxonomy
        rng = random.Random(seed)
        domains = taxonomy.current.allowed_email_domains
        names = sorted({f"{first}.{last}" for first in FIRST for last in LAST})
        team = [f"{n}@{rng.choice(domains)}" for n in rng.sample(names, k=min(60, len(names)))]
        began = time.perf_counter()
        with container.db.write() as session:
            first_sr = counters.increment(session, counters.SR_NO, by=count) - count + 1
            for offset in range(0, count, CHUNK):
                size = min(CHUNK, count - offset)
                records = [
                    validate_entry(demo_record(rng, taxonomy, team), taxonomy.current)
                    for _ in range(size)
                ]
                low = first_sr + offset
                session.execute(
                    insert(Entry),
                    [
                        {**to_attributes(record), "sr_no": low + i, "created_by_id": None}
                        for i, record in enumerate(records)
                    ],
                )
                ids = {
                    sr_no: entry_id
                    for sr_no, entry_id in session.execute(
                        select(Entry.sr_no, Entry.id).where(
                            Entry.sr_no.between(low, low + size - 1)
                        )
                    )
                }
                entries_repo.note_written(session, ids.values())
                session.execute(
                    insert(AuditRecord),
                    [
                        {
                            "entity": ENTITY,
                            "entity_id": ids[low + i],
                            "action": "create",
                            "actor_id": SYSTEM.user_id,
                            "actor_email": SYSTEM.email,
                            "changes": {**record, c.SR_NO: str(low + i)},
                        }
                        for i, record in enumerate(records)
                    ],
                )
            bump_dataset_version(session)
        return time.perf_counter() - began
    finally:
        container.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    seconds = bulk_seed(args.entries, args.seed)
    print(f"bulk-seeded {args.entries} entries in {seconds:.1f}s")


if __name__ == "__main__":
    main()
