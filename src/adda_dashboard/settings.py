"""Every setting of the service, read from the environment (prefix ``ADDA_``) or ``.env``.

Nested groups use ``__`` in the environment (``ADDA_AUTH__TOKEN_TTL_HOURS``); the most used ones
also have flat aliases documented in the README.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import orjson
from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_CORS_ORIGINS = [
    "http://localhost:5173",
    "http://localhost:3000",
    "http://127.0.0.1:5173",
    "http://127.0.0.1:3000",
    "http://localhost:5000",
    "http://127.0.0.1:5000",
]


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_GID = 2**31 - 1  # a tab's gid (sheetId) is a signed 32-bit number


class Environment(StrEnum):
    development = "development"
    production = "production"
    test = "test"


class StorageBackend(StrEnum):
    local = "local"
    s3 = "s3"
    gdrive = "gdrive"


class Settings(BaseSettings):
    """The effective configuration; built once in the composition root, never at import time."""

    model_config = SettingsConfigDict(
        env_prefix="ADDA_",
        env_file=".env",
        env_file_encoding="utf-8",
        env_nested_delimiter="__",
        extra="ignore",
    )

    environment: Environment = Environment.development
    var_dir: Path = Path("var")
    database_url: str = ""
    db_pool_size: int = Field(default=5, ge=1, le=200)
    db_max_overflow: int = Field(default=10, ge=0, le=500)
    db_echo: bool = False

    host: str = "127.0.0.1"
    port: int = Field(default=5000, ge=1, le=65535)
    cors_origins: list[str] = Field(default_factory=lambda: list(DEFAULT_CORS_ORIGINS))
    # Reverse proxies (addresses or CIDR networks) whose X-Forwarded-For/-Proto are believed;
    # they are also exempt from the per-address connection cap. None by default.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # /docs, /redoc and /openapi.json: off in production (and under `serve --prod`) unless set.
    docs_in_production: bool = False

    log_dir: Path = Path("logs")
    access_log: Path = Path("logs/access.log")
    error_log: Path = Path("logs/error.log")
    migrate_on_start: bool = True
    pid_file: Path | None = None  # production server; default var/server.pid
    log_level: str = "INFO"
    log_json: bool = False
    # Slow and greedy clients (README "Running in production"): a connection's request line and
    # headers must arrive within the header timeout; a body must keep up a minimum pace after a
    # grace (0: no floor); one address may hold at most so many connections (trusted proxies
    # exempt; Gunicorn + Uvicorn only).
    header_timeout_seconds: float = Field(default=10.0, gt=0, le=3600)
    min_body_bytes_per_second: int = Field(default=1024, ge=0, le=1024 * 1024 * 1024)
    body_grace_seconds: float = Field(default=30.0, gt=0, le=3600)
    max_connections_per_address: int = Field(default=256, ge=1, le=1_000_000)

    # Authentication.
    jwt_secret: SecretStr | None = None
    token_ttl_hours: int = Field(default=24 * 7, ge=24, le=24 * 90)
    refresh_ttl_days: int = Field(default=30, ge=1, le=365)
    legacy_email_login: bool = False
    open_reads: bool = False
    google_client_id: str | None = None
    google_certs_url: str = "https://www.googleapis.com/oauth2/v1/certs"
    allowed_email_domains: list[str] | None = None
    login_max_failures: int = Field(default=5, ge=1, le=1000)
    login_window_seconds: int = Field(default=900, ge=1, le=86400)
    # Password sign-ups prove their address by an emailed one-time link (README "Confirming the
    # address"): how long a link works, and how many new links one address may be sent per window.
    email_link_ttl_hours: int = Field(default=24, ge=1, le=24 * 14)
    verification_resend_max: int = Field(default=3, ge=1, le=100)
    verification_resend_window_seconds: int = Field(default=3600, ge=60, le=86400)
    # Outgoing mail: SMTP when set (smtp://user:pass@host:port, smtps://...); else it is logged.
    smtp_url: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    mail_from: str = "Adda Dashboard <no-reply@localhost>"
    redis_url: str | None = None
    # Request budgets per user and per client address ("N/second|minute|hour"; see README).
    rate_limits_enabled: bool = True
    rate_limit_read_user: str = "1200/minute"
    rate_limit_read_address: str = "3000/minute"
    rate_limit_write_user: str = "120/minute"
    rate_limit_write_address: str = "600/minute"
    rate_limit_expensive_user: str = "10/minute"
    rate_limit_expensive_address: str = "30/minute"
    # Caches: answers are validated by dataset version on every request; the TTL is an upper bound.
    cache_prefix: str = "adda"
    cache_ttl_seconds: int = Field(default=300, ge=1, le=86400)

    # Videos: storage backend, upload limits, housekeeping (README "Videos").
    storage_backend: StorageBackend = StorageBackend.local
    video_dir: Path | None = None  # local backend and staging; default <var_dir>/videos
    video_max_upload_mb: int = Field(default=2048, ge=1, le=1024 * 1024)
    video_min_free_disk_mb: int = Field(default=1024, ge=0)
    video_retention_days: int = Field(default=30, ge=0)  # 0 keeps videos forever
    video_log_file: Path | None = None  # default <log_dir>/video_uploads.log
    video_log_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    video_log_backups: int = Field(default=5, ge=0, le=100)
    public_base_url: str = "http://127.0.0.1:5000"
    s3_bucket: str = ""
    s3_prefix: str = "videos/"
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    gdrive_folder_id: str = ""
    gdrive_credentials_file: Path | None = None
    gdrive_api_endpoint: str | None = None
    gdrive_share_publicly: bool = True
    gdrive_chunk_mb: int = Field(default=8, ge=1, le=1024)
    # The Google spreadsheet the team is moving from (README "Moving from the Google
    # spreadsheet"): read through the Sheets v4 API with a service-account key, whose token_uri is
    # used as it is. Tabs are found by gid (the number after "gid=" in a tab's address). The mirror
    # settings (writes per minute, pull interval) are read by the mirror only.
    sheets_spreadsheet_id: str = ""
    sheets_credentials_file: Path | None = None
    sheets_api_url: str = "https://sheets.googleapis.com/"
    sheets_main_gid: int = Field(default=0, ge=0, le=MAX_GID)
    sheets_reedit_gid: int = Field(default=1507772277, ge=0, le=MAX_GID)
    sheets_credentials_gid: int = Field(default=1409173850, ge=0, le=MAX_GID)
    sheets_tickets_gid: int = Field(default=699848763, ge=0, le=MAX_GID)
    # An uploaded workbook has titles, not gids: the main tab is the worksheet of this title when
    # set, else one titled Final, Main or Entries, else the first worksheet.
    sheets_main_tab_title: str = ""
    sheets_mirror: bool = False
    sheets_writes_per_minute: int = Field(default=50, ge=1, le=10_000)
    # The window the writes budget is counted over (a minute, as Google's quota; tests shorten it).
    sheets_write_window_seconds: int = Field(default=60, ge=1, le=3600)
    # How long a push may hold its lease without renewing it: a worker that died holding it is
    # taken over after this.
    sheets_push_lease_seconds: int = Field(default=120, ge=2, le=3600)
    sheets_push_batch: int = Field(default=500, ge=1, le=10_000)
    sheets_pull_seconds: int = Field(default=60, ge=1, le=86_400)
    # Downloads (yt-dlp) and the job queue (Huey: SQLite file, or Redis when redis_url is set).
    # For tests only: lets downloads reach stand-in servers on 127.0.0.0/8 and ::1, and nothing
    # else (README "Which addresses a download may reach"). ADDA_DOWNLOAD_ALLOW_PRIVATE is its
    # former name, still read.
    download_allow_loopback: bool = Field(
        default=False,
        validation_alias=AliasChoices(
            "download_allow_loopback", "adda_download_allow_loopback", "adda_download_allow_private"
        ),
    )
    download_queue_limit: int = Field(default=50, ge=1, le=100_000)
    download_user_limit: int = Field(default=5, ge=1, le=10_000)
    download_max_attempts: int = Field(default=3, ge=1, le=20)
    download_retry_wait_seconds: float = Field(default=2.0, ge=0, le=600)
    download_socket_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    download_sync_timeout_seconds: float = Field(default=300.0, gt=0, le=3600)
    download_retry_after_seconds: int = Field(default=30, ge=1, le=3600)
    download_records_keep_days: int = Field(default=7, ge=1, le=3650)
    job_heartbeat_seconds: float = Field(default=5.0, gt=0, le=600)
    job_stale_after_seconds: float = Field(default=60.0, gt=0, le=86400)
    queue_path: Path | None = None  # default <var_dir>/queue.db
    worker_threads: int = Field(default=2, ge=1, le=64)
    worker_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    serve_with_worker: bool = True  # `serve` also runs a queue consumer in-process

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_networks_parse(cls, value: Any) -> list[str]:
        if isinstance(value, str):  # "10.0.0.1, 10.0.1.0/24" or a JSON list
            text = value.strip()
            value = orjson.loads(text) if text.startswith("[") else text.split(",")
        value = [str(item).strip() for item in value if str(item).strip()]
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(f"{item!r} is not an IP address or network") from exc
        return value

    @field_validator("sheets_api_url")
    @classmethod
    def _sheets_api_root(cls, value: str) -> str:
        """An http(s) root ending in ``/``: requests go to ``<root>v4/spreadsheets/...``."""
        value = value.strip()
        if not value.startswith(("https://", "http://")):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @property
    def trusted_proxy_networks(self) -> tuple[IPNetwork, ...]:
        return tuple(ipaddress.ip_network(item, strict=False) for item in self.trusted_proxies)

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.production

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'adda.db').as_posix()}"

    def masked(self) -> dict[str, Any]:
        """The settings as a dict with secrets and credentials in URLs hidden."""
        data = self.model_dump(mode="json")
        data["database_url"] = mask_url(self.effective_database_url)
        if self.redis_url:
            data["redis_url"] = mask_url(self.redis_url)
        data["jwt_secret"] = "**********" if self.jwt_secret else None
        return data


def mask_url(url: str) -> str:
    """Hide the password of a ``scheme://user:password@host`` URL."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not an SQLAlchemy URL (e.g. redis://)
        scheme, sep, rest = url.partition("://")
        if "@" in rest and ":" in rest.split("@", 1)[0]:
            user = rest.split("@", 1)[0].split(":", 1)[0]
            return f"{scheme}{sep}{user}:***@{rest.split('@', 1)[1]}"
        return url
