"""The taxonomy served by /api/exams and /api/categories, kept in the database."""

from __future__ import annotations

from adda_dashboard.db.engine import Database
from adda_dashboard.db.repositories import taxonomy as taxonomy_repo
from adda_dashboard.domain.taxonomy import Taxonomy, packaged_taxonomy


class TaxonomyService:
    def __init__(self, db: Database, allowed_domains: list[str] | None = None) -> None:
        self._db = db
        self._allowed_override = (
            tuple(d.lower() for d in allowed_domains) if allowed_domains else None
        )
        self._taxonomy: Taxonomy | None = None

    def load_packaged(self) -> None:
        """Store the packaged taxonomy when the database has none yet (run after migrate)."""
        with self._db.write() as session:
            if taxonomy_repo.get(session) is None:
                taxonomy_repo.put(session, packaged_taxonomy().as_json())
        self._taxonomy = None

    def replace(self, document: dict[str, object]) -> None:
        """Replace the stored taxonomy (validated by parsing it first)."""
        Taxonomy.from_json(document)
        with self._db.write() as session:
            taxonomy_repo.put(session, document)
        self._taxonomy = None

    @property
    def current(self) -> Taxonomy:
        """The stored taxonomy, read once per process; it changes only through this service."""
        if self._taxonomy is None:
            with self._db.read() as session:
                body = taxonomy_repo.get(session)
            taxonomy = Taxonomy.from_json(body) if body else packaged_taxonomy()
            if self._allowed_override:
                taxonomy = Taxonomy(taxonomy.exams, taxonomy.categories, self._allowed_override)
            self._taxonomy = taxonomy
        return self._taxonomy

    def exams_response(self) -> dict[str, object]:
        return {"success": True, "exams": self.current.exams}

    def categories_response(self) -> dict[str, object]:
        return {"success": True, "categories": self.current.categories}
