"""Continuous Kafka -> bronze.realtime_events: ``stream.py --env ENV --execution-date D``.

Runs the same micro-batch code as the scheduled ``ingest.py --source kafka`` (availableNow), with a
processing-time trigger and the same checkpoint, until stopped (or ``--timeout-s`` passes)."""

from __future__ import annotations

import sys


def add_args(p) -> None:
    p.add_argument(
        "--mode",
        choices=("continuous", "available_now"),
        default="continuous",
        help="continuous: processing-time trigger until stopped; available_now: drain what is there and stop",
    )
    p.add_argument("--trigger", default="1 minute", help="processing-time trigger, e.g. '30 seconds'")
    p.add_argument(
        "--timeout-s", type=float, default=None, help="stop after this many seconds (default: run forever)"
    )


def body(ctx) -> None:
    from lakehouse.sources.kafka import run_kafka

    if ctx.args.mode == "available_now":
        run_kafka(ctx, available_now=True)
        return
    run_kafka(ctx, available_now=False, processing_time=ctx.args.trigger, timeout_s=ctx.args.timeout_s)


def main(argv=None) -> int:
    from lakehouse import assets

    assets.ensure(sys.argv[1:] if argv is None else argv)  # conf + contracts when running from the zip on EMR
    from lakehouse.jobs import main as run_job

    return run_job("stream_kafka", add_args, body, argv=argv)


if __name__ == "__main__":
    raise SystemExit(main())
