"""float32 GEMM timings with numpy, for bench/src/suites/gemm.ts.

Arguments: cases as NAME:M:N:K. Prints a JSON list of {case, medianMs, runs}. The parent sets
OPENBLAS_NUM_THREADS=1 (and friends) so this is single-threaded like the JavaScript rows, and
BENCH_CLOCK=cpu to time with process CPU time instead of wall time, like the harness.
"""

import json
import os
import statistics
import sys
import time

import numpy as np


CLOCK = time.process_time if os.environ.get("BENCH_CLOCK") == "cpu" else time.perf_counter


def measure(fn, min_runs=7, min_time=0.5, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    spent = 0.0
    while len(times) < min_runs or spent < min_time:
        t0 = CLOCK()
        fn()
        dt = CLOCK() - t0
        times.append(dt)
        spent += dt
    return statistics.median(times) * 1e3, len(times)


def main():
    rng = np.random.default_rng(1)
    out = []
    for spec in sys.argv[1:]:
        name, m, n, k = spec.rsplit(":", 3)
        m, n, k = int(m), int(n), int(k)
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        c = np.empty((m, n), dtype=np.float32)
        ms, runs = measure(lambda: np.matmul(a, b, out=c))
        out.append({"case": name, "medianMs": ms, "runs": runs})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
