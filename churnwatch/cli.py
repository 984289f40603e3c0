"""The `churnwatch` command: one subcommand per job, each with `--help`.

Heavy imports (Faust, Kafka clients) happen inside the subcommands, so `--help` is instant.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from config.settings import Settings, SettingsError

Command = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command: Command | None = getattr(args, "run", None)
    if command is None:
        parser.print_help()
        return 2
    try:
        return command(args)
    except SettingsError as exc:
        print(f"churnwatch: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="churnwatch",
        description="Streaming churn monitor: CDR, billing and CRM events in; explainable "
        "churn-risk alerts and care tasks out.",
    )
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    _worker(sub)
    _console(sub)
    _demo(sub)
    _simulate(sub)
    _replay(sub)
    _tail(sub)
    _topics(sub)
    _bench(sub)
    from churnwatch.evaluation_cli import add_evaluate, add_fit  # argparse only: --help stays quick

    add_evaluate(sub)
    add_fit(sub)
    return parser


def _worker(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "worker",
        help="run the stream worker against CHURNWATCH_KAFKA_BOOTSTRAP",
        description="Run the churnwatch stream worker. Needs CHURNWATCH_KAFKA_BOOTSTRAP; see "
        "README for every CHURNWATCH_* variable.",
    )
    p.add_argument("--loglevel", default="warning", help="log level (default: warning)")
    p.set_defaults(run=_run_worker)


def _run_worker(args: argparse.Namespace) -> int:
    from churnwatch.commands import run_worker

    return run_worker(Settings.from_env(), args.loglevel)


def _console(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "console",
        help="the retention desk's web console, read-only, from the Redis serving store",
        description="Serve the console (who to call, why, and how; English and Chinese) at "
        "/console, with the API behind it, from CHURNWATCH_REDIS_URL. Access needs "
        "CHURNWATCH_API_TOKEN when it is set.",
    )
    p.add_argument("--port", type=int, default=None, help="default CHURNWATCH_WEB_PORT + 1 (6067)")
    p.set_defaults(run=_run_console)


def _run_console(args: argparse.Namespace) -> int:
    from churnwatch.commands import run_console

    return run_console(Settings.from_env(), args.port)


def _demo(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "demo",
        help="embedded broker + Redis + worker + simulator, alerts printed as they happen",
        description="Start an embedded broker and Redis (unless CHURNWATCH_KAFKA_BOOTSTRAP is "
        "set), a worker and the simulator; print alerts and tasks as they happen and a summary.",
    )
    p.add_argument("--customers", type=int, default=2000, help="population size (default 2000)")
    p.add_argument("--days", type=int, default=120, help="simulated days (default 120)")
    p.add_argument("--seed", type=int, default=7, help="simulation seed (default 7)")
    p.add_argument(
        "--duration", type=float, default=300.0, help="stop after this many seconds (default 300)"
    )
    p.add_argument("--quiet", action="store_true", help="print only the summary")
    p.set_defaults(run=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    from churnwatch.demo import run_demo

    return run_demo(args)


def _simulate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "simulate",
        help="produce a seeded synthetic population to the input topics",
        description="Produce a deterministic simulated population (with ground-truth "
        "churners) to CHURNWATCH_KAFKA_BOOTSTRAP, or write it to a replay file.",
    )
    p.add_argument("--customers", type=int, default=2000)
    p.add_argument("--days", type=int, default=120)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument(
        "--rate", type=float, default=None, help="events/s (default: as fast as possible)"
    )
    p.add_argument("--truth", default="truth.csv", help="ground-truth CSV to write")
    p.add_argument("--out", default=None, help="write a replay JSONL file instead of producing")
    p.set_defaults(run=_run_simulate)


def _run_simulate(args: argparse.Namespace) -> int:
    from churnwatch.commands import run_simulate

    return run_simulate(Settings.from_env(), args)


def _replay(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "replay",
        help="produce a JSONL replay file to the input topics",
        description='Produce FILE (one {"topic", "key", "value"} object per line; key defaults '
        "to the value's customer_id) to CHURNWATCH_KAFKA_BOOTSTRAP.",
    )
    p.add_argument("file")
    p.add_argument(
        "--rate", type=float, default=None, help="events/s (default: as fast as possible)"
    )
    p.set_defaults(run=_run_replay)


def _run_replay(args: argparse.Namespace) -> int:
    from churnwatch.commands import run_replay

    return run_replay(Settings.from_env(), args.file, args.rate)


def _tail(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "tail",
        help="print a topic's records as they arrive",
        description="Print TOPIC's records (from the beginning with --from-beginning).",
    )
    p.add_argument("topic")
    p.add_argument("--from-beginning", action="store_true")
    p.add_argument("--max", type=int, default=None, help="stop after this many records")
    p.add_argument("--timeout", type=float, default=None, help="stop after this many idle seconds")
    p.set_defaults(run=_run_tail)


def _run_tail(args: argparse.Namespace) -> int:
    from churnwatch.commands import run_tail

    return run_tail(Settings.from_env(), args.topic, args.from_beginning, args.max, args.timeout)


def _topics(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("topics", help="manage churnwatch's topics")
    tsub = p.add_subparsers(title="actions", metavar="ACTION")
    create = tsub.add_parser(
        "create",
        help="create every contract topic (idempotent)",
        description="Create the input, output and dead-letter topics with the catalog's "
        "partitions and retention. Existing topics are left as they are.",
    )
    create.set_defaults(run=_run_topics_create)
    p.set_defaults(run=lambda _args: _usage(p))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _run_topics_create(args: argparse.Namespace) -> int:
    from churnwatch.commands import run_topics_create

    return run_topics_create(Settings.from_env())


def _bench(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "bench",
        help="measure throughput, latency, state size and scaling against the raw ceiling",
        description="Start an embedded broker and Redis, produce seeded simulator traffic once, "
        "and measure on this machine: the raw aiokafka + orjson ceiling, a naive Faust table "
        "agent, the Quix Streams peer (when installed: pip install 'churnwatch[bench]'), "
        "churnwatch's worker with one and two processes, event-to-alert latency at half the "
        "maximum rate, and state size per customer. Prints a Markdown table, or one JSON "
        "object with --json (progress on stderr).",
    )
    p.add_argument(
        "--quick", action="store_true", help="about a tenth of the workload, short phases"
    )
    p.add_argument("--json", action="store_true", help="print exactly one JSON object")
    p.add_argument("--customers", type=int, default=None, help="default 10000 (quick: 1000)")
    p.add_argument("--events", type=int, default=None, help="default 200000 (quick: 20000)")
    p.add_argument("--seed", type=int, default=7, help="simulation seed (default 7)")
    p.add_argument("--no-peer", action="store_true", help="skip the Quix Streams peer")
    p.add_argument(
        "--latency-seconds",
        type=float,
        default=None,
        help="length of the latency run (default 30; quick: 9)",
    )
    p.set_defaults(run=_run_bench)


def _run_bench(args: argparse.Namespace) -> int:
    from churnwatch.bench import run_bench_command

    return run_bench_command(args)


def _later(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, what: str) -> None:
    p = sub.add_parser(name, help=f"{what} — not built yet", description=f"{what}. Not built yet.")
    p.set_defaults(run=lambda _args: _not_yet(name))


def _not_yet(name: str) -> int:
    print(f"churnwatch {name}: not built yet in this version", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
