"""The composition root: settings in, every adapter and service out. Called by the app, the CLI
and workers alike; nothing here runs at import time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from adda_dashboard.adapters.redis_link import RedisLink
from adda_dashboard.adapters.tokens import TokenSigner, resolve_secret
from adda_dashboard.db import migrate
from adda_dashboard.db.engine import Database, build_engine
from adda_dashboard.services.auth import AuthService
from adda_dashboard.services.entries import EntryService
from adda_dashboard.services.reports import ReportService
from adda_dashboard.services.snapshots import SnapshotCache
from adda_dashboard.services.taxonomy import TaxonomyService
from adda_dashboard.services.tickets import TicketService
from adda_dashboard.services.users import UserService
from adda_dashboard.services.versions import DatasetVersions
from adda_dashboard.settings import Settings


@dataclass
class Container:
    settings: Settings
    db: Database
    taxonomy: TaxonomyService
    entries: EntryService
    reports: ReportService
    tickets: TicketService
    users: UserService
    auth: AuthService
    redis: RedisLink | None
    versions: DatasetVersions
    snapshots: SnapshotCache

    def close(self) -> None:
        self.db.dispose()
        if self.redis is not None:
            self.redis.close()


def bootstrap(settings: Settings, *, run_migrations: bool | None = None) -> Container:
    """Build the container. SQLite databases are migrated on start unless told otherwise."""
    # The secret first: a production start without one stops before touching anything.
    secret = resolve_secret(
        settings.jwt_secret.get_secret_value() if settings.jwt_secret else None,
        production=settings.is_production,
        var_dir=settings.var_dir,
    )
    url = settings.effective_database_url
    db = Database(
        build_engine(
            url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            echo=settings.db_echo,
        )
    )
    if run_migrations is None:
        run_migrations = db.is_sqlite
    taxonomy = TaxonomyService(db, settings.allowed_email_domains)
    if run_migrations:
        migrate.upgrade(url)
        taxonomy.load_packaged()
    signer = TokenSigner(
        secret,
        access_ttl=timedelta(hours=settings.token_ttl_hours),
        refresh_ttl=timedelta(days=settings.refresh_ttl_days),
    )
    redis = RedisLink(settings.redis_url) if settings.redis_url else None
    versions = DatasetVersions(db, redis, key=f"{settings.cache_prefix}:dataset_version")
    db.after_commit.append(versions.publish_committed)
    snapshots = SnapshotCache(
        versions, redis, key_prefix=settings.cache_prefix, ttl_s=settings.cache_ttl_seconds
    )
    return Container(
        settings=settings,
        db=db,
        taxonomy=taxonomy,
        entries=EntryService(db, taxonomy),
        reports=ReportService(db),
        tickets=TicketService(db, taxonomy),
        users=UserService(db, taxonomy),
        auth=AuthService(db, signer, taxonomy, legacy_email_login=settings.legacy_email_login),
        redis=redis,
        versions=versions,
        snapshots=snapshots,
    )
