"""The ``cllsim`` command line: parse, load specs, call the public function, write results.

Thin by design (STYLE §10): no simulation logic lives here.  Bad input ends with one line
naming the file, the field, the value and what is allowed, and exit code 2; never a
traceback.
"""

from __future__ import annotations

import sys

import typer

from cllsim.errors import AlgorithmError, SpecError

__all__ = ["app", "main", "run"]

app = typer.Typer(
    name="cllsim",
    help="Simulate CLL and other cancers as cell populations under real therapy schedules.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
sbml_app = typer.Typer(help="Simulate SBML models of zero- and first-order reactions.", no_args_is_help=True)
app.add_typer(sbml_app, name="sbml")


def fail(message: str) -> typer.Exit:
    """Print ``message`` as one line on stderr and return the Exit(2) to raise."""
    typer.echo(f"cllsim: error: {message}", err=True)
    return typer.Exit(code=2)


@app.callback()
def _root() -> None:
    """cllsim command line."""


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    try:
        app(args=argv if argv is not None else sys.argv[1:], standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except (SpecError, AlgorithmError) as exc:
        typer.echo(f"cllsim: error: {exc}", err=True)
        return 2
    except SystemExit as exc:  # click usage errors in non-standalone mode
        return int(exc.code or 0)
    except Exception as exc:  # click.UsageError and friends carry their own exit codes
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            return int(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            return 130
        raise
    return 0


def run() -> None:
    """Console-script entry point."""
    raise SystemExit(main())


if __name__ == "__main__":
    run()
