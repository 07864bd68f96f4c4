"""The ``iza`` command: one group, one lazily imported module per command group.

Commands stay thin: parse flags, build settings, call one service function, print. Errors
derived from :class:`iza.errors.IzaError` become one line on stderr and exit code 1 (2 for usage
errors); ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import sys
import typing

import click

from iza import __version__
from iza.cli import _context, _lazy

if typing.TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["COMMANDS", "cli", "main"]

#: command → ("module:attribute", short help). Subsystems add their group here.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("iza.cli.system:init_cmd", "Create the data home and the database (idempotent)."),
    "status": ("iza.cli.system:status_cmd", "Show the health of every component."),
    "doctor": ("iza.cli.system:doctor_cmd", "Check the installation and say how to fix problems."),
    "config": ("iza.cli.system:config_group", "Show the resolved settings."),
    "db": ("iza.cli.system:db_group", "Migrate the database and show its state."),
    "events": ("iza.cli.system:events_group", "Show domain events from the outbox."),
    "tokens": ("iza.cli.system:tokens_group", "Create, list and revoke API tokens."),
    "serve": ("iza.cli.serve:serve_cmd", "Run the web dashboard and JSON API."),
    "llm": ("iza.llm.cli:llm_group", "LLM providers, chat, usage, prices and budgets."),
    "catalog": ("iza.business.cli:catalog_group", "The service & pricing catalog."),
    "stripe": ("iza.business.cli:stripe_group", "Stripe checkout, sync, event replay, reconcile."),
    "revenue": ("iza.business.cli_ops:revenue_group", "Revenue, MRR and margin reports; CSV."),
    "leads": ("iza.business.cli_ops:leads_group", "Leads and the acquisition funnel."),
    "orders": ("iza.business.cli_ops:orders_group", "Orders and their delivery."),
    "agents": ("iza.agents.cli:agents_group", "The agent roster and the service directory."),
    "missions": ("iza.agents.cli:missions_group", "Run, inspect, approve, cancel and resume missions."),
    "memory": ("iza.memory.cli:memory_group", "Long-term memory: add, search, forget; agent mailboxes."),
    "demo-app": ("iza.cli.demo_app:demo_app_cmd", "Build, test and verify an app from a plain request."),
    "showcase": ("iza.cli.showcase:showcase_cmd", "Run the showcase scenarios end to end."),
    "workflows": ("iza.workflows.cli:workflows_group", "Import, validate, run and inspect workflows."),
}


@click.group(cls=_lazy.LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", type=click.Path(file_okay=False), envvar=None,
              help="Data home (default: $IZA_HOME or ~/.iza).")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.version_option(__version__, prog_name="iza")
@click.pass_context
def cli(ctx: click.Context, home: str | None, debug: bool) -> None:
    """IZA OS: an offline-first operating system for a services business run by AI agents."""
    import logging

    ctx.obj = _context.State(home=home, debug=debug)
    if debug:
        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")
    else:
        # Diagnostics go to $IZA_HOME/logs/iza.log once the home is known (State.ready_settings);
        # until then they are dropped rather than mixed into command output.
        logging.getLogger("iza").addHandler(logging.NullHandler())
        logging.getLogger("iza").propagate = False


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        rv = cli.main(args=args, prog_name="iza", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except Exception as exc:
        from iza.errors import IzaError

        if debug or not isinstance(exc, IzaError):
            raise
        line = f"error: {exc.message}"
        if exc.fix:
            line += f" — fix: {exc.fix}"
        click.echo(line, err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    if isinstance(rv, int):
        sys.exit(rv)
