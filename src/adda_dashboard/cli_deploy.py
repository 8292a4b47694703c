"""``adda-dashboard deploy ...``: files an operator installs next to the app servers.

``deploy nginx`` renders the reverse proxy's site from this machine's settings (run it with the
app servers' environment), so its timeouts and size limits are the ones the servers enforce.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from adda_dashboard.deploy.nginx import build_site, render_nginx
from adda_dashboard.settings import Settings

deploy_app = typer.Typer(help="Render deployment files (the nginx site).", no_args_is_help=True)
err = Console(stderr=True)


@deploy_app.command("nginx")
def nginx(
    listen: Annotated[str, typer.Option(help="Where nginx listens, HOST:PORT")],
    upstream: Annotated[
        list[str], typer.Option(help="An app server, HOST:PORT; repeat for each server")
    ],
    server_name: Annotated[str, typer.Option(help="nginx server_name")] = "_",
    static_dir: Annotated[
        Path | None,
        typer.Option(help="The dashboard's static files (default: the installed package's)"),
    ] = None,
    requests_per_second: Annotated[
        int, typer.Option(min=1, max=100_000, help="Requests per client address (burst: twice)")
    ] = 50,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout")
    ] = None,
) -> None:
    """Print the nginx site to include inside nginx.conf's http block."""
    try:
        site = build_site(
            Settings(),
            listen=listen,
            upstreams=upstream,
            server_name=server_name,
            static_dir=static_dir,
            requests_per_second=requests_per_second,
        )
    except ValueError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(2) from None
    text = render_nginx(site)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text)
