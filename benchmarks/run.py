"""Run every benchmark (or the ones named): python -m benchmarks.run [employee_sync ...]

Each benchmark runs with its own defaults and writes benchmarks/results/<name>.json.
"""

import argparse
import importlib
import sys

BENCHMARKS = (
    "employee_sync",
    "points_batch",
    "vouchers_campaign",
    "events",
    "relay",
    "hrms_pull",
    "graphql_employees",
    "reports_summary",
)  # modules in this package with main(argv) -> int


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"default: all of {', '.join(BENCHMARKS)}")
    names = parser.parse_args(sys.argv[1:] if argv is None else argv).names or list(BENCHMARKS)
    if unknown := sorted(set(names) - set(BENCHMARKS)):
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    status = 0
    for name in names:
        print(f"== benchmarks.{name}", flush=True)
        status |= importlib.import_module(f"benchmarks.{name}").main([])
    return status


if __name__ == "__main__":
    raise SystemExit(main())
