"""The command line. Each command lives in ``agent/commands/<room>.py``; this file only wires them.

``main`` turns every user error into one line on stderr and a documented exit status.
"""

from __future__ import annotations

import sys
import traceback

import typer

from agent.commands import approval, ci, context, doctor, evaluate, models, refine, runs, sandbox
from agent.errors import AgentError
from agent.home import data_home

app = typer.Typer(
    name="agent",
    help="Plan a goal as staged rewrites of a repository, verify each stage in a sandbox, "
    "and apply it only behind an approval.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

app.command("refine")(refine.refine)
app.command("review")(approval.review)
app.command("approve")(approval.approve)
app.command("rollback")(runs.rollback)
app.command("resume")(runs.resume)
app.add_typer(ci.app, name="ci")
app.command("eval")(evaluate.eval_command)
app.command("doctor")(doctor.doctor)
app.add_typer(models.app, name="models")
app.add_typer(sandbox.app, name="sandbox")
app.command("context")(context.context)
app.command("verify")(approval.verify)
app.add_typer(approval.audit_app, name="audit")
app.add_typer(approval.keys_app, name="keys")
app.command("runs")(runs.list_runs)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; user errors end in one line and an exit status, never a traceback."""
    try:
        app(args=argv)  # standalone: usage errors print usage and exit 2
    except AgentError as err:
        print(f"agent: {err}", file=sys.stderr)
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        print("agent: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as ex:  # a bug, not a user error: keep the details, show one line
        log = data_home() / "last-error.log"
        try:
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text(traceback.format_exc())
            where = f" (traceback in {log})"
        except OSError:
            where = ""
        print(f"agent: internal error: {type(ex).__name__}: {ex}{where}", file=sys.stderr)
        sys.exit(70)
