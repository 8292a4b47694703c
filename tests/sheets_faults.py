"""How the Sheets stand-in misbehaves when a test asks: an error status for some requests or a
while (``Fault``), and one write request kept back at the moment a client waits for it
(``Hold``)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

HOLD_LIMIT_S = 120.0  # a held request is let go after this even if no one releases it


@dataclass
class Fault:
    status: int
    on: str  # "api", "reads", "writes" or "token"
    remaining: int | None
    until: float | None
    retry_after: str | None

    def applies(self, kind: str, now: float) -> bool:
        if self.until is not None and now >= self.until:
            return False
        if self.remaining is not None and self.remaining <= 0:
            return False
        return self.on == kind or (self.on == "api" and kind in ("reads", "writes"))


@dataclass
class Hold:
    """The next request of ``method``, kept back until ``released`` is set: applied to the
    sheet first with its answer withheld (``applied``), or never applied and left without an
    answer, as if it had not reached Google. ``arrived`` is set once it is being held."""

    method: str
    applied: bool
    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def keep(self) -> None:
        self.arrived.set()
        self.released.wait(HOLD_LIMIT_S)
