"""``iza serve``: the web dashboard and JSON API on uvicorn."""

from __future__ import annotations

import ipaddress

import click

from iza.cli._context import State, pass_state


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command("serve")
@click.option("--host", default=None, help="Address to bind (default 127.0.0.1, from settings).")
@click.option("--port", default=None, type=int, help="Port (default 8765, from settings).")
@click.option("--log-level", default="warning", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
@pass_state
def serve_cmd(state: State, host: str | None, port: int | None, log_level: str) -> None:
    """Run the web dashboard and the JSON API (binds to loopback unless told otherwise)."""
    import uvicorn

    from iza.kernel.tokens import list_tokens
    from iza.web.app import create_app

    settings = state.ready_settings(**{"server.host": host, "server.port": port})
    app = create_app(settings)
    bind, bind_port = settings.get_str("server.host"), settings.get_int("server.port")
    console = state.console(stderr=True)
    if not _is_loopback(bind):
        console.print(f"[yellow]warning:[/] binding to {bind}: the dashboard is reachable from "
                      "other machines; every page and API call still needs a token")
    console.print(f"IZA OS dashboard: http://{'127.0.0.1' if bind == '0.0.0.0' else bind}:"
                  f"{bind_port}/   API: /api/v1 (docs at /api/v1/docs)")
    console.print("workflow webhooks: /webhooks/workflows/<path>   scheduler: "
                  + ("on" if settings.get_bool("workflows.scheduler") else "off (workflows.scheduler)"))
    if not [t for t in list_tokens(app.state.store) if t.revoked_at is None]:
        console.print("no access token yet: create one with [bold]iza tokens create NAME[/] "
                      "and sign in with it")
    uvicorn.run(app, host=bind, port=bind_port, log_level=log_level)
