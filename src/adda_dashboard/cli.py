"""The command line: serve, migrate, config, seed-demo, import, export, users, sheets, deploy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from adda_dashboard.bootstrap import Container, bootstrap
from adda_dashboard.cli_deploy import deploy_app
from adda_dashboard.cli_sheets import sheets_app
from adda_dashboard.errors import AppError
from adda_dashboard.settings import Settings

if TYPE_CHECKING:
    from adda_dashboard.adapters.queue import BackgroundWorker

app = typer.Typer(help="Adda Dashboard: the Shorts team's content tracker.", no_args_is_help=True)
user_app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(sheets_app, name="sheets")
app.add_typer(deploy_app, name="deploy")
console = Console()
err = Console(stderr=True)


def open_container(*, run_migrations: bool | None = None) -> Container:
    from adda_dashboard.adapters.tokens import MissingSecretError

    try:
        return bootstrap(Settings(), run_migrations=run_migrations)
    except MissingSecretError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None


def fail(exc: AppError) -> typer.Exit:
    err.print(f"[red]error:[/red] {exc.message}")
    return typer.Exit(1)


def require_choice(what: str, value: str, choices: tuple[str, ...]) -> None:
    """Exit 2 naming the option and its choices when ``value`` is not one of them."""
    if value not in choices:
        err.print(f"[red]error:[/red] unknown {what} {value!r}; choose one of {', '.join(choices)}")
        raise typer.Exit(2)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (ADDA_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (ADDA_PORT)")] = None,
    prod: Annotated[
        bool, typer.Option("--prod", help="Production server: several worker processes")
    ] = False,
    profile: Annotated[
        str, typer.Option(help="With --prod: small, medium, large or auto (from the cores)")
    ] = "auto",
    workers: Annotated[
        int | None, typer.Option(min=1, max=64, help="With --prod: override the worker count")
    ] = None,
    server_name: Annotated[
        str, typer.Option("--server", help="With --prod: gunicorn (default) or granian")
    ] = "gunicorn",
) -> None:
    """Serve the API. Without --prod: one process (development). SQLite is migrated on start."""
    settings = Settings()
    if host:
        settings.host = host
    if port:
        settings.port = port
    if prod:
        from adda_dashboard import server

        require_choice("profile", profile, tuple(server.profiles()))
        require_choice("server", server_name, server.SERVERS)
        open_container(run_migrations=True).close()  # migrate once, before the workers start
        console.print(
            f"Serving on http://{settings.host}:{settings.port} with {server_name}, profile "
            f"{profile}: {server.describe(profile)}"
        )
        server.run(settings, profile, workers, server_name)
        return
    import uvicorn

    from adda_dashboard.app import create_app

    container = open_container()
    inline_worker = start_inline_worker(container)
    console.print(f"Serving on http://{settings.host}:{settings.port} (API docs at /docs)")
    try:
        uvicorn.run(
            create_app(settings, container=container),
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level.lower(),
            proxy_headers=False,  # the app believes only ADDA_TRUSTED_PROXIES
        )
    finally:
        if inline_worker is not None:
            inline_worker.stop()


def start_inline_worker(container: Container) -> BackgroundWorker | None:
    """Run the job queue's consumer on threads of this process (ADDA_SERVE_WITH_WORKER)."""
    from adda_dashboard.adapters.queue import BackgroundWorker

    if not container.settings.serve_with_worker:
        return None
    container.downloads.reap_stale()
    if container.sheet_mirror is not None:
        container.sheet_mirror.kick()
    console.print(f"Job worker: {container.settings.worker_threads} threads in this process")
    return BackgroundWorker(container.queue, workers=container.settings.worker_threads).start()


@app.command()
def worker(
    threads: Annotated[
        int | None, typer.Option(min=1, max=64, help="Worker threads (ADDA_WORKER_THREADS)")
    ] = None,
) -> None:
    """Run the background job worker (downloads, retention, reaping) until stopped."""
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    container = open_container()
    count = threads or container.settings.worker_threads
    outcome = container.downloads.reap_stale()  # jobs left behind by a worker that died
    console.print(f"Worker started with {count} threads; stale jobs: {outcome}")
    if container.sheet_mirror is not None:
        container.sheet_mirror.kick()  # what a worker that died left in the outbox
    try:
        container.queue.consumer(workers=count).run()
    finally:
        container.close()


@app.command()
def migrate() -> None:
    """Bring the database schema to the newest version and load the taxonomy."""
    container = open_container(run_migrations=True)
    console.print(f"Database ready: {Settings().masked()['database_url']}")
    container.close()


@app.command()
def config() -> None:
    """Print the effective settings, secrets masked."""
    console.print_json(json.dumps(Settings().masked()))


@app.command("seed-demo")
def seed_demo(
    entries: Annotated[int, typer.Option(min=0, max=1_000_000, help="How many entries")] = 2000,
    if_empty: Annotated[bool, typer.Option(help="Only when the database has no entries")] = False,
    seed: Annotated[int, typer.Option(help="Random seed")] = 42,
) -> None:
    """Fill the database with realistic demo entries (and a demo admin on a new database)."""
    from adda_dashboard.services.demo import DemoService

    container = open_container(run_migrations=True)
    demo = DemoService(container.db, container.taxonomy, container.entries, container.users)
    if not container.settings.is_production:
        admin = demo.ensure_demo_admin(container.settings.var_dir)
        if admin:
            console.print(
                f"Demo admin created: sign in as [bold]{admin[0]}[/bold] with password "
                f"[bold]{admin[1]}[/bold] "
                f"(also kept in {container.settings.var_dir}/demo-admin.txt)"
            )
    if if_empty and not demo.is_empty():
        console.print("Entries already present; no demo data added.")
    else:
        written = demo.seed_entries(entries, seed=seed)
        console.print(f"Added {written} demo entries.")
    container.close()


@app.command("export")
def export_file(
    path: Annotated[Path, typer.Argument(help="The file to write: a .csv or .xlsx name")],
) -> None:
    """Write every entry to a CSV or XLSX file with the sheet's column headers."""
    container = open_container()
    try:
        count = container.transfer.export_entries(path)
    except AppError as exc:
        raise fail(exc) from None
    finally:
        container.close()
    console.print(f"Exported {count} entries to {escape(str(path))}.")


@app.command("import")
def import_file(
    path: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, readable=True, help="A .csv or .xlsx file to import"
        ),
    ],
) -> None:
    """Import entries from a CSV or XLSX file: every row is checked, then all are written or none.

    Rows are matched by "Sr no.": a known number updates that entry, an empty one adds a new
    entry, so importing the same file twice changes nothing the second time.
    """
    container = open_container()
    try:
        result = container.transfer.import_entries(path)
    except AppError as exc:
        raise fail(exc) from None
    finally:
        container.close()
    if result.errors:
        for error in result.errors:
            where = f"line {error.line}: {error.field}" if error.field else f"line {error.line}"
            err.print(escape(f"{where}: {error.message}"), soft_wrap=True)
        err.print(
            f"[red]error:[/red] {len(result.errors)} bad row(s) in {escape(path.name)}; "
            "nothing was imported."
        )
        raise typer.Exit(1)
    table = Table(title=f"Imported {escape(path.name)}", show_header=False)
    for label, value in (
        ("inserted", result.inserted),
        ("updated", result.updated),
        ("unchanged", result.unchanged),
        ("blank rows skipped", result.skipped_blank),
    ):
        table.add_row(label, str(value))
    console.print(table)


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="Email address (an allowed domain)")],
    role: Annotated[str, typer.Option(help="viewer, contributor, editor or admin")] = "contributor",
    password: Annotated[str | None, typer.Option(help="Password (prompted when omitted)")] = None,
    username: Annotated[str | None, typer.Option(help="Username (default: the local part)")] = None,
) -> None:
    """Create a user account."""
    from adda_dashboard.services.users import parse_role

    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    container = open_container()
    try:
        user = container.users.create(
            email=email, role=parse_role(role), password=password, username=username
        )
    except AppError as exc:
        raise fail(exc) from None
    console.print(f"Created {user.email} ({user.role.value}).")


@user_app.command("set-role")
def user_set_role(
    email: Annotated[str, typer.Option(help="The user's email")],
    role: Annotated[str, typer.Option(help="viewer, contributor, editor or admin")],
) -> None:
    """Change a user's role (their current tokens stop working)."""
    from adda_dashboard.services.users import parse_role

    container = open_container()
    try:
        user = container.users.set_role(email, parse_role(role))
    except AppError as exc:
        raise fail(exc) from None
    console.print(f"{user.email} is now {user.role.value}.")


@user_app.command("reset-password")
def user_reset_password(
    email: Annotated[str, typer.Option(help="The user's email")],
    password: Annotated[
        str | None, typer.Option(help="New password (generated and printed when omitted)")
    ] = None,
) -> None:
    """Set a new password and revoke the user's tokens."""
    container = open_container()
    try:
        user, new_password = container.users.reset_password(email, password)
    except AppError as exc:
        raise fail(exc) from None
    shown = new_password if password is None else "(as given)"
    console.print(f"Password of {user.email} reset: {shown}")


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
