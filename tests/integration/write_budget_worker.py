"""One process drawing on the Sheets write budget: built from its settings as a worker builds
it (``ADDA_REDIS_URL``, ``ADDA_CACHE_PREFIX``, ``ADDA_SHEETS_WRITES_PER_MINUTE``,
``ADDA_SHEETS_WRITE_WINDOW_SECONDS``), it waits for a start time shared with the other
processes, takes a number of slots and prints the wall-clock time of each grant as JSON.

Usage: ``python -m tests.integration.write_budget_worker START_AT COUNT``.
"""

from __future__ import annotations

import json
import sys
import time

from adda_dashboard.adapters.rate_limits import WriteBudget
from adda_dashboard.adapters.redis_link import RedisLink
from adda_dashboard.settings import Settings

DEADLINE_S = 60.0


def draw(start_at: float, count: int) -> list[float]:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.redis_url, "ADDA_REDIS_URL must be set"
    link = RedisLink(settings.redis_url)
    budget = WriteBudget.from_settings(settings, link)
    give_up = time.monotonic() + DEADLINE_S

    def within_deadline() -> None:
        if time.monotonic() > give_up:
            raise TimeoutError(f"{count} slots not granted within {DEADLINE_S:.0f} s")

    time.sleep(max(0.0, start_at - time.time()))
    granted = []
    for _ in range(count):
        budget.take(on_wait=within_deadline)
        granted.append(time.time())
    link.close()
    return granted


if __name__ == "__main__":
    print(json.dumps(draw(float(sys.argv[1]), int(sys.argv[2]))))
