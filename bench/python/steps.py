"""One float32 training step in numpy, CS231n-style, for bench/src/suites/steps.ts.

A step is the model's loss (forward + backward, L2 on the weights) and an Adam update of every parameter,
as the Solver does it. The layers follow CS231n's layers.py / fast_layers.py:
  affine (x.reshape(N, -1) @ w + b), relu, softmax loss, adam (t incremented before the bias correction);
  conv as fast_layers.conv_forward_strides (as_strided im2col + one matmul) and its backward;
  2x2 max pool as fast_layers.max_pool_forward_reshape / max_pool_backward_reshape.
Both nets' first layer skips dx, as backprop's models do (CS231n computes it and throws it away): both
sides do the same work.

Arguments: case names (mlp, convnet). Prints a JSON list of {case, medianMs, runs} with a
"<name> step" and a "<name> loss only" row per case. The parent sets OPENBLAS_NUM_THREADS=1 (and
friends), so this is single-threaded like the JavaScript rows, and BENCH_CLOCK=cpu to time with process
CPU time instead of wall time, like the harness.
"""

import json
import os
import statistics
import sys
import time

import numpy as np

CLOCK = time.process_time if os.environ.get("BENCH_CLOCK") == "cpu" else time.perf_counter


def measure(fn, min_runs=15, min_time=1.5, warmup=5):
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


# ---- layers (CS231n layers.py / fast_layers.py) ----


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w)


def affine_backward(dout, cache, compute_dx=True):
    x, w = cache
    dx = (dout @ w.T).reshape(x.shape) if compute_dx else None
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, x):
    return dout * (x > 0)


def softmax_loss(x, y):
    shifted = x - x.max(axis=1, keepdims=True)
    z = np.exp(shifted).sum(axis=1, keepdims=True)
    log_probs = shifted - np.log(z)
    probs = np.exp(log_probs)
    n = x.shape[0]
    loss = -log_probs[np.arange(n), y].sum() / n
    dx = probs.copy()
    dx[np.arange(n), y] -= 1
    dx /= n
    return loss, dx


def conv_forward_strides(x, w, b, stride, pad):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
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
    return out, (x, w, stride, pad, cols)


def conv_backward_strides(dout, cache, compute_dx=True):
    x, w, stride, pad, cols = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, Ho, Wo = dout.shape
    db = dout.sum(axis=(0, 2, 3))
    dout2 = dout.transpose(1, 0, 2, 3).reshape(F, -1)
    dw = (dout2 @ cols.T).reshape(w.shape)
    if not compute_dx:
        return None, dw, db
    dcols = (w.reshape(F, -1).T @ dout2).reshape(C, HH, WW, N, Ho, Wo)
    dxp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=x.dtype)
    for i in range(HH):
        for j in range(WW):
            dxp[:, :, i : i + stride * Ho : stride, j : j + stride * Wo : stride] += dcols[:, i, j].transpose(1, 0, 2, 3)
    return dxp[:, :, pad : pad + H, pad : pad + W], dw, db


def max_pool_forward_reshape(x, size):
    N, C, H, W = x.shape
    xr = x.reshape(N, C, H // size, size, W // size, size)
    out = xr.max(axis=3).max(axis=4)
    return out, (x, xr, out)


def max_pool_backward_reshape(dout, cache):
    x, xr, out = cache
    dxr = np.zeros_like(xr)
    mask = xr == out[:, :, :, np.newaxis, :, np.newaxis]
    dout_b, _ = np.broadcast_arrays(dout[:, :, :, np.newaxis, :, np.newaxis], dxr)
    dxr[mask] = dout_b[mask]
    dxr /= np.sum(mask, axis=(3, 5), keepdims=True)
    return dxr.reshape(x.shape)


def adam(w, dw, config):
    config["t"] += 1
    t = config["t"]
    config["m"] = 0.9 * config["m"] + (1 - 0.9) * dw
    config["v"] = 0.999 * config["v"] + (1 - 0.999) * dw**2
    mb = config["m"] / (1 - 0.9**t)
    vb = config["v"] / (1 - 0.999**t)
    return w - config["learning_rate"] * mb / (np.sqrt(vb) + 1e-8)


# ---- models (CS231n fc_net.py TwoLayerNet, cnn.py ThreeLayerConvNet) ----


def two_layer_loss(params, X, y, reg):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    a1, c1 = affine_forward(X, W1, b1)
    h1, r1 = relu_forward(a1)
    scores, c2 = affine_forward(h1, W2, b2)
    loss, dscores = softmax_loss(scores, y)
    loss += 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    dh1, dW2, db2 = affine_backward(dscores, c2)
    _, dW1, db1 = affine_backward(relu_backward(dh1, r1), c1, compute_dx=False)
    dW1 += reg * W1
    dW2 += reg * W2
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def convnet_loss(params, X, y, reg):
    W1, b1, W2, b2, W3, b3 = (params[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    pad = (W1.shape[2] - 1) // 2
    c, cc = conv_forward_strides(X, W1, b1, 1, pad)
    r, rc = relu_forward(c)
    p, pc = max_pool_forward_reshape(r, 2)
    a2, ac2 = affine_forward(p, W2, b2)
    h2, rc2 = relu_forward(a2)
    scores, ac3 = affine_forward(h2, W3, b3)
    loss, dscores = softmax_loss(scores, y)
    loss += 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2) + np.sum(W3 * W3))
    dh2, dW3, db3 = affine_backward(dscores, ac3)
    dp, dW2, db2 = affine_backward(relu_backward(dh2, rc2), ac2)
    dr = max_pool_backward_reshape(dp, pc)
    _, dW1, db1 = conv_backward_strides(relu_backward(dr, rc), cc, compute_dx=False)
    dW1 += reg * W1
    dW2 += reg * W2
    dW3 += reg * W3
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2, "W3": dW3, "b3": db3}


def init(rng, shapes, weight_scale=1e-3):
    return {
        k: (rng.standard_normal(s, dtype=np.float32) * np.float32(weight_scale)) if k.startswith("W") else np.zeros(s, np.float32)
        for k, s in shapes.items()
    }


def setup(name, rng):
    if name == "mlp":
        params = init(rng, {"W1": (3072, 100), "b1": (100,), "W2": (100, 10), "b2": (10,)})
        X = rng.standard_normal((200, 3072), dtype=np.float32)
        y = rng.integers(0, 10, 200)
        return two_layer_loss, params, X, y
    if name == "convnet":
        shapes = {
            "W1": (32, 1, 7, 7),
            "b1": (32,),
            "W2": (32 * 14 * 14, 100),
            "b2": (100,),
            "W3": (100, 10),
            "b3": (10,),
        }
        params = init(rng, shapes)
        X = rng.standard_normal((50, 1, 28, 28), dtype=np.float32)
        y = rng.integers(0, 10, 50)
        return convnet_loss, params, X, y
    raise SystemExit(f"steps.py: unknown case {name!r}")


def main():
    rng = np.random.default_rng(1)
    reg = 1e-3
    rows = []
    for name in sys.argv[1:]:
        loss_fn, params, X, y = setup(name, rng)
        configs = {k: {"learning_rate": 1e-3, "m": np.zeros_like(v), "v": np.zeros_like(v), "t": 0} for k, v in params.items()}

        def step():
            _, grads = loss_fn(params, X, y, reg)
            for k in params:
                params[k] = adam(params[k], grads[k], configs[k])

        ms, runs = measure(step)
        assert all(p.dtype == np.float32 for p in params.values()), "the step left float32"
        rows.append({"case": f"{name} step", "medianMs": ms, "runs": runs})
        ms, runs = measure(lambda: loss_fn(params, X, y, reg))
        rows.append({"case": f"{name} loss only", "medianMs": ms, "runs": runs})
    json.dump(rows, sys.stdout)


if __name__ == "__main__":
    main()
