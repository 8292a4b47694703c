"""The composition root: settings in, every adapter and service out. Called by the app, the CLI
and workers alike; nothing here runs at import time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import structlog

from adda_dashboard.adapters.address_guard import Resolver, system_resolver
from adda_dashboard.adapters.google_identity import GoogleIdTokenVerifier
from adda_dashboard.adapters.mail import LogMailer, Mailer, SmtpMailer, SmtpServer
from adda_dashboard.adapters.metrics import instruments
from adda_dashboard.adapters.queue import JobQueue
from adda_dashboard.adapters.rate_limits import LoginThrottle, SendThrottle, WriteBudget
from adda_dashboard.adapters.redis_link import RedisLink
from adda_dashboard.adapters.request_limits import RequestLimiter
from adda_dashboard.adapters.sheets import RetryPolicy, SheetsClient, sheets_client_factory
from adda_dashboard.adapters.tokens import TokenSigner, resolve_secret
from adda_dashboard.db.engine import Database, build_engine
from adda_dashboard.db.repositories import sheet_outbox
from adda_dashboard.domain.sheet_tabs import TabKind
from adda_dashboard.jobs import tasks
from adda_dashboard.services.auth import AuthService
from adda_dashboard.services.downloads import DownloadService
from adda_dashboard.services.email_verification import EmailVerificationService
from adda_dashboard.services.entries import EntryService
from adda_dashboard.services.google_login import GoogleLoginService
from adda_dashboard.services.live_entries import LiveEntries
from adda_dashboard.services.operations import OperationsService
from adda_dashboard.services.overview import OverviewService
from adda_dashboard.services.reports import ReportService
from adda_dashboard.services.request_gate import RequestGate
from adda_dashboard.services.sheet_import import SheetImportService
from adda_dashboard.services.sheet_mirror import MirrorConfig, SheetMirror
from adda_dashboard.services.sheet_mirror_admin import SheetMirrorAdmin
from adda_dashboard.services.sheet_pull import SheetPull
from adda_dashboard.services.snapshots import SnapshotCache
from adda_dashboard.services.taxonomy import TaxonomyService
from adda_dashboard.services.tickets import TicketService
from adda_dashboard.services.transfer import TransferService
from adda_dashboard.services.users import UserService
from adda_dashboard.services.versions import DatasetVersions
from adda_dashboard.services.videos import VideoLibrary
from adda_dashboard.settings import Settings
from adda_dashboard.video_bootstrap import build_video_services


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
    login_throttle: LoginThrottle
    google_login: GoogleLoginService
    verification: EmailVerificationService
    transfer: TransferService
    redis: RedisLink | None
    versions: DatasetVersions
    snapshots: SnapshotCache
    gate: RequestGate
    operations: OperationsService
    videos: VideoLibrary
    downloads: DownloadService
    queue: JobQueue
    sheets: Callable[[], SheetsClient]
    sheet_import: SheetImportService
    request_limiter: RequestLimiter | None = None
    signer: TokenSigner | None = None
    overview: OverviewService | None = None
    live: LiveEntries | None = None
    sheet_mirror: SheetMirror | None = None
    sheet_pull: SheetPull | None = None
    sheet_mirror_admin: SheetMirrorAdmin | None = None

    def close(self) -> None:
        self.db.dispose()
        self.videos.log.close()
        self.google_login.close()
        if self.redis is not None:
            self.redis.close()


def bootstrap(
    settings: Settings,
    *,
    run_migrations: bool | None = None,
    resolver: Resolver = system_resolver,
) -> Container:
    """Build the container. SQLite databases are migrated on start unless told otherwise.

    ``resolver`` answers host names for the download address guard; tests pass their own.
    """
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
    if settings.sheets_mirror:  # every change of an entry or ticket then leaves an outbox row
        db.write_flags[sheet_outbox.MIRROR_FLAG] = True
    if run_migrations is None:
        run_migrations = db.is_sqlite and settings.migrate_on_start
    taxonomy = TaxonomyService(db, settings.allowed_email_domains)
    if run_migrations:
        from adda_dashboard.db import migrate  # Alembic is heavy to import: only when used

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
    # Each process's copy of the live entries, behind the list, leaderboard and filters.
    live = LiveEntries(versions.reads, full_read_every_s=settings.cache_ttl_seconds)
    entries = EntryService(db, taxonomy, live)
    # Failed sign-ins are counted in Redis when configured, so every instance shares the limits.
    login_throttle = LoginThrottle.from_settings(settings, redis)
    verification = EmailVerificationService(
        db,
        build_mailer(settings),
        SendThrottle.from_settings(settings, redis),
        taxonomy,
        login_throttle=login_throttle,
        public_base_url=settings.public_base_url,
        link_ttl=timedelta(hours=settings.email_link_ttl_hours),
    )
    auth = AuthService(
        db,
        signer,
        taxonomy,
        throttle=login_throttle,
        verification=verification,
        legacy_email_login=settings.legacy_email_login,
    )
    # Built from settings only: the certificates are fetched at the first Google sign-in.
    verifier = GoogleIdTokenVerifier(settings.google_client_id, settings.google_certs_url)
    snapshots.on_event = lambda name, event: instruments().cache_events.labels(name, event).inc()
    gate = RequestGate(db, signer, versions, redis, key_prefix=settings.cache_prefix)
    db.after_commit.append(gate.forget_users_changed)
    video = build_video_services(settings, db, entries, resolver=resolver)
    reports = ReportService(db, live)
    transfer = TransferService(db, taxonomy, entries)
    sheets = sheets_client_factory(settings)  # built at first use: most servers never need it
    mirror, pull = build_mirror(settings, db, video.queue, entries, redis)
    mirror_admin = SheetMirrorAdmin(db, mirror)
    return Container(
        settings=settings,
        db=db,
        taxonomy=taxonomy,
        entries=entries,
        reports=reports,
        tickets=TicketService(db, taxonomy),
        users=UserService(db, taxonomy),
        auth=auth,
        login_throttle=login_throttle,
        google_login=GoogleLoginService(db, verifier, auth, taxonomy),
        verification=verification,
        transfer=transfer,
        redis=redis,
        versions=versions,
        snapshots=snapshots,
        gate=gate,
        operations=OperationsService(
            settings,
            db,
            redis,
            snapshots,
            gate,
            videos=video.videos,
            queue=video.queue,
            sheets=mirror_admin.status,
        ),
        videos=video.videos,
        downloads=video.downloads,
        queue=video.queue,
        sheets=sheets,
        sheet_import=SheetImportService(
            db,
            taxonomy,
            transfer,
            sheets,
            gids={
                TabKind.main: settings.sheets_main_gid,
                TabKind.reedit: settings.sheets_reedit_gid,
                TabKind.credentials: settings.sheets_credentials_gid,
                TabKind.tickets: settings.sheets_tickets_gid,
            },
            main_tab_title=settings.sheets_main_tab_title,
        ),
        request_limiter=build_request_limiter(settings, redis),
        signer=signer,
        overview=OverviewService(db, reports, snapshots),
        live=live,
        sheet_mirror=mirror,
        sheet_pull=pull,
        sheet_mirror_admin=mirror_admin,
    )


def build_mirror(
    settings: Settings,
    db: Database,
    queue: JobQueue,
    entries: EntryService,
    redis: RedisLink | None,
) -> tuple[SheetMirror, SheetPull]:
    """The live mirror and the pull, their tasks on the queue; a push is asked for after each
    commit that wrote the outbox. The mirror's client reads once: it retries whole batches."""
    config = MirrorConfig(
        enabled=settings.sheets_mirror,
        gids={
            TabKind.main: settings.sheets_main_gid,
            TabKind.reedit: settings.sheets_reedit_gid,
            TabKind.tickets: settings.sheets_tickets_gid,
        },
        batch_size=settings.sheets_push_batch,
        lease_seconds=settings.sheets_push_lease_seconds,
        pull_seconds=settings.sheets_pull_seconds,
    )
    mirror = SheetMirror(
        db,
        queue,
        sheets_client_factory(settings, RetryPolicy(attempts=1)),
        WriteBudget.from_settings(settings, redis),
        config,
    )
    pull = SheetPull(db, mirror, entries)
    tasks.register_sheets(queue, mirror, pull)
    if settings.sheets_mirror:
        db.after_commit.append(mirror.on_commit)
    return mirror, pull


def build_mailer(settings: Settings) -> Mailer:
    """SMTP when ``ADDA_SMTP_URL`` is set; else every message goes to the log (development),
    which a production start says loudly, since sign-up links then reach nobody."""
    if settings.smtp_url is None:
        if settings.is_production:
            structlog.get_logger("adda_dashboard").warning(
                "mail_not_configured",
                detail="ADDA_SMTP_URL is not set: sign-up links are only written to the log",
            )
        return LogMailer(settings.mail_from)
    server = SmtpServer.from_url(
        settings.smtp_url.get_secret_value(), starttls=settings.smtp_starttls
    )
    return SmtpMailer(server, settings.mail_from, timeout_s=settings.smtp_timeout_seconds)


def build_request_limiter(settings: Settings, redis: RedisLink | None) -> RequestLimiter | None:
    if not settings.rate_limits_enabled:
        return None
    policies = {
        kind: (
            getattr(settings, f"rate_limit_{kind}_user"),
            getattr(settings, f"rate_limit_{kind}_address"),
        )
        for kind in ("read", "write", "expensive")
    }
    return RequestLimiter(policies, redis=redis, key_prefix=settings.cache_prefix)
