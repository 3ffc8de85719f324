"""The first conv layer of ThreeLayerConvNet in numpy, CS231n-style, for bench/src/suites/conv.ts.

im2col + one matmul, as CS231n's fast_layers.conv_forward_strides: the columns are an as_strided view of
the padded input copied to a (C*HH*WW, N*H'*W') matrix. The backward pass mirrors conv_backward_strides
with col2im done by numpy slice adds (one per filter tap) in place of the Cython col2im_6d.

Arguments: N C H W F HH WW stride pad. Prints a JSON list of {case, medianMs, runs}. The parent sets
OPENBLAS_NUM_THREADS=1 (and friends), so this is single-threaded like the JavaScript rows, and
BENCH_CLOCK (cpu: time.process_time, else wall time) so both sides read the same clock.
"""

import json
import os
import statistics
import sys
import time

import numpy as np


# The parent's bench clock: CPU time of this process under BENCH_CLOCK=cpu, else wall time.
clock = time.process_time if os.environ.get("BENCH_CLOCK") == "cpu" else time.perf_counter


def measure(fn, min_runs=7, min_time=0.5, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    spent = 0.0
    while len(times) < min_runs or spent < min_time:
        t0 = clock()
        fn()
        dt = clock() - t0
        times.append(dt)
        spent += dt
    return statistics.median(times) * 1e3, len(times)


def conv_forward(x, w, b, stride, pad):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    assert (H + 2 * pad - HH) % stride == 0 and (W + 2 * pad - WW) % stride == 0
    Ho = (H + 2 * pad - HH) // stride + 1
    Wo = (W + 2 * pad - WW) // stride + 1
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    s = xp.strides
    view = np.lib.stride_tricks.as_strided(
        xp,
        shape=(C, HH, WW, N, Ho, Wo),
        strides=(s[1], s[2], s[3], s[0], stride * s[2], stride * s[3]),
    )
    cols = np.ascontiguousarray(view).reshape(C * HH * WW, N * Ho * Wo)
    res = w.reshape(F, -1) @ cols + b.reshape(-1, 1)
    out = np.ascontiguousarray(res.reshape(F, N, Ho, Wo).transpose(1, 0, 2, 3))
    return out, (x, w, b, stride, pad, cols)


def conv_backward(dout, cache):
    x, w, b, stride, pad, cols = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, Ho, Wo = dout.shape
    db = dout.sum(axis=(0, 2, 3))
    dout2 = dout.transpose(1, 0, 2, 3).reshape(F, -1)
    dw = (dout2 @ cols.T).reshape(w.shape)
    dcols = (w.reshape(F, -1).T @ dout2).reshape(C, HH, WW, N, Ho, Wo)
    dxp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=x.dtype)
    for i in range(HH):
        for j in range(WW):
            dxp[:, :, i : i + stride * Ho : stride, j : j + stride * Wo : stride] += dcols[:, i, j].transpose(1, 0, 2, 3)
    dx = dxp[:, :, pad : pad + H, pad : pad + W]
    return dx, dw, db


def main():
    N, C, H, W, F, HH, WW, stride, pad = (int(a) for a in sys.argv[1:10])
    rng = np.random.default_rng(1)
    x = rng.standard_normal((N, C, H, W), dtype=np.float32)
    w = rng.standard_normal((F, C, HH, WW), dtype=np.float32)
    b = rng.standard_normal(F, dtype=np.float32)
    out, _ = conv_forward(x, w, b, stride, pad)
    dout = rng.standard_normal(out.shape, dtype=np.float32)

    def fwd():
        conv_forward(x, w, b, stride, pad)

    def fwd_bwd():
        o, cache = conv_forward(x, w, b, stride, pad)
        conv_backward(dout, cache)

    rows = []
    for name, fn in (("forward", fwd), ("forward+backward", fwd_bwd)):
        ms, runs = measure(fn)
        rows.append({"case": name, "medianMs": ms, "runs": runs})
    json.dump(rows, sys.stdout)


if __name__ == "__main__":
    main()
