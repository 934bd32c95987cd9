"""Command line: `python -m dashboard serve|ingest|sample|upgrade|bench ...`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dashboard import config


def _sample(args: argparse.Namespace) -> int:
    from dashboard import sample

    spec = sample.SampleSpec(args.customers, args.seed).validate()
    for name, (path, rows) in sample.generate_to(args.out, spec).items():
        print(f"{name:<13} {rows:>10,} rows  {path.stat().st_size / 1e6:6.2f} MB  {path}")
    if args.publish:
        from dashboard.store import Store

        store = Store(config.database_path())
        version = sample.publish(store, args.out, args.publish)
        print(f"published as {version.label}")
    return 0


def _upgrade(args: argparse.Namespace) -> int:
    from dashboard.metrics import prepared
    from dashboard.store import Store

    store = Store(args.db or config.database_path())
    stale = store.out_of_date()
    if not stale:
        print(f"every version is up to date (prepared schema {prepared.PREPARED_SCHEMA})")
        return 0
    print(f"rebuilding {len(stale)} version(s) for prepared schema {prepared.PREPARED_SCHEMA}", flush=True)
    done = store.upgrade(lambda d, i, n: print(f"[{i}/{n}] {d.label}: {d.tables} tables, {d.seconds:.1f} s", flush=True))
    print(f"upgraded {len(done)} version(s) in {sum(d.seconds for d in done):.1f} s")
    return 0


def _ingest(args: argparse.Namespace) -> int:
    from dashboard.ingest import cli

    return cli.run(args)


def _bench(args: argparse.Namespace) -> int:
    from benchmarks import harness

    return harness.main(args)


def _hash_password(args: argparse.Namespace) -> int:
    import getpass

    from dashboard import access

    role = access.Role.parse(args.role)
    if sys.stdin.isatty():
        password = getpass.getpass(f"Password for the {role.label} role: ")
        if getpass.getpass("Again: ") != password:
            print("error: the two passwords differ", file=sys.stderr)
            return 2
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    print(f"{access.PASSWORD_ENV.format(role=role.name)}='{access.hash_password(password)}'")
    return 0


def command_line() -> argparse.ArgumentParser:
    """The command line: one sub-command per job (ingest, sample, upgrade, bench, hash-password), each with its run."""
    parser = argparse.ArgumentParser(prog="python -m dashboard", description="CX Lens command line")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser(
        "serve",
        help="start the dashboard (streamlit run app.py) with every page's code loaded first; streamlit's options follow",
        description="Start the dashboard: every page's code is imported before the server listens, so the first "
        "visitor does not wait for it; any further arguments are streamlit run's options (e.g. --server.port 8501).",
        add_help=False,
    )

    p = sub.add_parser(
        "ingest",
        help="read, map, validate and publish your files (exit 0 published, 1 data problem or database busy, 2 bad usage)",
        description="Read, map and validate files as the Data page does, and publish them as a new version of a dataset. "
        "Exit codes: 0 published (or --check passed); 1 nothing published: blocking problems in the data (report printed), "
        "the database is in use by the running app, or the publish failed; 2 bad usage.",
    )
    from dashboard.ingest import cli as ingest_cli

    ingest_cli.add_arguments(p)
    p.set_defaults(run=_ingest)

    p = sub.add_parser("sample", help="generate the synthetic utility sample as Parquet files")
    p.add_argument("--customers", type=int, default=20_000, help="customer rows, prospects included (default 20,000)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument("--out", type=Path, default=config.SAMPLE_DIR, help="folder for the Parquet files (default data/sample)")
    p.add_argument("--publish", metavar="DATASET", help="also publish the files as a new version of DATASET")
    p.set_defaults(run=_sample)

    p = sub.add_parser(
        "upgrade",
        help="rebuild the prepared tables of versions built by an older CX Lens (one line per version)",
        description="Rebuild the prepared tables of every version whose prepared schema number is older than this "
        "code's; pages of an out-of-date version say so and show nothing until this (or Data → Datasets → Upgrade) ran. "
        "Stop the dashboard first: it holds the database file.",
    )
    p.add_argument("--db", type=Path, default=None, help="the database file (default the configured one)")
    p.set_defaults(run=_upgrade)

    p = sub.add_parser("bench", help="time each view's queries against DuckDB's own scan and plain pandas")
    p.add_argument("--customers", type=int, default=100_000, help="customers in the generated dataset")
    p.add_argument("--views", default="all", help="comma-separated views to time (default all)")
    p.add_argument("--repeat", type=int, default=5, help="timed runs per query (median reported)")
    p.add_argument("--workdir", type=Path, default=None, help="where to keep the generated data (default a temp dir)")
    p.set_defaults(run=_bench)

    p = sub.add_parser(
        "hash-password",
        help="print the hash of a role's password for password sign-in (read from the terminal or one line of stdin)",
    )
    p.add_argument("role", choices=["viewer", "analyst", "admin"], help="the role this password signs in as")
    p.set_defaults(run=_hash_password)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one sub-command; exit code 0 ok, 1 problem in the data, 2 bad usage."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:  # the rest is streamlit's to parse
        from dashboard.ui import serve

        return serve.run(argv[1:])
    args = command_line().parse_args(argv)
    from dashboard.metrics import prepared  # noqa: F401  (registers the prepare step every publish runs)
    from dashboard.store import StoreError

    try:
        return args.run(args)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"error: {_first_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: nothing published", file=sys.stderr)
        return 130
    except SystemExit:
        raise
    except BaseException as exc:  # never a traceback on the command line (BaseException: the Excel reader's panics)
        print(f"error: {_first_line(exc)} ({type(exc).__name__}; nothing published)", file=sys.stderr)
        return 1


def _first_line(exc: BaseException) -> str:
    """The first line of an error's message (its type's name when it has none), at most 300 characters."""
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]


if __name__ == "__main__":
    sys.exit(main())
