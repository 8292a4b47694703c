"""The taxonomy: verticals with their exams and subjects, content categories, email domains.

Shipped as package data (``data/taxonomy.json``, in the order the original serves it) and loaded
into the database on migrate; this module holds the pure lookups over it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any


def normalise_vertical(key: str) -> str:
    """The frontend's display form of an ``/api/exams`` key (``ugc`` -> ``UGC``)."""
    return {"ugc": "UGC", "ssc": "SSC"}.get(key, key[:1].upper() + key[1:])


@dataclass(frozen=True)
class Taxonomy:
    exams: dict[str, dict[str, list[str]]]
    categories: dict[str, list[str]]
    allowed_email_domains: tuple[str, ...]
    _by_vertical: dict[str, dict[str, list[str]]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_vertical = {normalise_vertical(k): v for k, v in self.exams.items()}
        object.__setattr__(self, "_by_vertical", by_vertical)

    @property
    def verticals(self) -> list[str]:
        """Normalised vertical names, in served order."""
        return list(self._by_vertical)

    def vertical(self, name: str) -> dict[str, list[str]] | None:
        return self._by_vertical.get(name)

    def as_json(self) -> dict[str, Any]:
        return {
            "allowed_email_domains": list(self.allowed_email_domains),
            "categories": self.categories,
            "exams": self.exams,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Taxonomy:
        return cls(
            exams=data["exams"],
            categories=data["categories"],
            allowed_email_domains=tuple(d.lower() for d in data["allowed_email_domains"]),
        )


@cache
def packaged_taxonomy() -> Taxonomy:
    """The taxonomy shipped with the package."""
    text = resources.files("adda_dashboard").joinpath("data/taxonomy.json").read_text("utf-8")
    return Taxonomy.from_json(json.loads(text))
