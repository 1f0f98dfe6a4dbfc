"""What every command that reads or changes the fleet shares: where the server is (`--server`, `--token`,
`--profile`), the client it talks through, its errors as one stderr line, and one way to print lists.

These commands never open a database: they work from any directory, on any machine that reaches the API.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Sequence
from functools import wraps
from typing import Any, TypeVar, get_type_hints

import httpx
import typer
from pydantic import BaseModel
from rich.progress import Progress

from fleetops.cli.output import emit_json, fail, stderr, table
from fleetops.client import ApiError, Client, ClientError, Page
from fleetops.errors import FleetopsError

R = TypeVar("R")
transport: httpx.BaseTransport | None = None  # tests serve the app in-process through this
OPTIONS = (
    (
        "server",
        "--server",
        "The API, e.g. https://fleetops.example.com (default: FLEETOPS_URL, the profile).",
    ),
    ("token", "--token", "An API token (default: FLEETOPS_TOKEN, the profile's token or token_file)."),
    (
        "client_profile",
        "--profile",
        "A named profile of the client config file, cli.toml (default: FLEETOPS_PROFILE).",
    ),
)


def describe(exc: ClientError, server: str) -> str:
    """The one line an operator reads: what failed, and what to set when it is the setup."""
    if isinstance(exc, ApiError) and exc.status == 401:
        return f"token rejected by {server}: {exc.detail} (set --token, FLEETOPS_TOKEN or --profile)"
    if isinstance(exc, ApiError) and exc.status == 403:
        return f"{exc.detail} (a token of another role is needed)"
    return str(exc)


def remote(fn: Callable[..., R]) -> Callable[..., R]:
    """Make `fn(fleet: Client, ...)` a command: it gains --server/--token/--profile, gets a connected
    `Client` as `fleet`, and any failure (server refusal, unreachable server, bad setup, domain error)
    ends it with one stderr line and exit code 2."""
    hints = get_type_hints(fn)
    own = [
        p.replace(annotation=hints.get(p.name, p.annotation))
        for p in inspect.signature(fn).parameters.values()
        if p.name != "fleet"
    ]
    added = [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            default=typer.Option(None, flag, help=text),
            annotation=str | None,
        )
        for name, flag, text in OPTIONS
    ]

    @wraps(fn)
    def command(
        *args: Any, server: str | None, token: str | None, client_profile: str | None, **kwargs: Any
    ) -> R:
        where = server or "the server"
        try:
            with Client(server, token, profile=client_profile, transport=transport) as fleet:
                where = fleet.server
                return fn(*args, fleet=fleet, **kwargs)
        except ClientError as exc:
            raise fail(describe(exc, where)) from None
        except FleetopsError as exc:
            raise fail(exc.message) from None

    command.__signature__ = inspect.Signature([*own, *added])  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in [*own, *added]}
    return command


def rows_of(items: Iterable[Any]) -> list[dict[str, Any]]:
    return [i.model_dump(mode="json") if isinstance(i, BaseModel) else i for i in items]


def gather(pages: Iterable[Page[Any]], title: str) -> tuple[list[Any], Page[Any] | None, Page[Any] | None]:
    """The items of every page as they came (typed records stay typed), the first page (its `total`) and
    the last (whether more were left); a progress bar on a terminal when there are many."""
    items: list[Any] = []
    first: Page[Any] | None = None
    last: Page[Any] | None = None
    with Progress(console=stderr, transient=True, disable=not stderr.is_terminal) as bar:
        task = bar.add_task(f"fetching {title}", total=None, visible=False)
        for page in pages:
            first, last = first or page, page
            items += page.items
            if page.more and first.total:
                bar.update(task, total=first.total, completed=len(items), visible=first.total > 5_000)
    return items, first, last


def show_list(
    pages: Iterable[Page[Any]],
    columns: Sequence[str],
    *,
    title: str,
    as_json: bool,
    bare_json: bool = False,
    hint: str = "--limit or --all",
) -> None:
    """Every list command prints through here: a table or JSON (`{"items": [...]}`, or the bare list with
    `bare_json`), and a note on stderr when the list was cut short, so a table of 500 is never mistaken
    for the whole fleet."""
    items, first, last = gather(pages, title)
    if as_json:
        emit_json(items if bare_json else {"items": items})
    else:
        table(rows_of(items), columns, title=title)
    if last is not None and last.more:
        of = f" of {first.total:,}" if first and first.total else "; more exist"
        stderr.print(f"showing {len(items):,}{of}; {hint}", highlight=False)


def limit_of(limit: int, every: bool) -> int | None:
    """`--all` wins over `--limit`."""
    return None if every else limit


def show_record(record: Any, title: str, as_json: bool) -> None:
    data = rows_of([record])[0]
    if as_json:
        emit_json(data)
    else:
        table(({"field": k, "value": v} for k, v in data.items()), ["field", "value"], title=title)


LimitOption = typer.Option(100, "--limit", min=1, help="At most this many rows.")
AllOption = typer.Option(False, "--all", help="Every row, fetched page by page.")
