#!/usr/bin/env python3
"""What Pareto-smoothed importance sampling would do to repeated inferences' accuracy.

    python3 scripts/psis_ess.py DIR REFERENCE_MEAN POSTERIOR_SD [--latent energy]

DIR holds one CSV per seed, NAME-s<seed>.csv, as `probe export` writes a saved posterior (a
`log_weight` column and one per latent): `probe infer ... --seed N --save P.pst` then `probe
export P.pst -o NAME-sN.csv`. For the raw weights and for the same weights Pareto-smoothed (PSIS:
Vehtari, Simpson, Gelman, Yao and Gabry, "Pareto smoothed importance sampling", 2015-2024), it
prints the latent's posterior means over the seeds, their spread, their bias against
REFERENCE_MEAN, and the ESS their mean squared error stands for, POSTERIOR_SD^2 / MSE (MSE = s^2 +
bias^2, bias^2 less its own noise s^2 / n, as scripts/calorimeter_ess.py charges it), with the
Pareto k-hat of each seed's weights. It measured whether Probe should smooth weights before
`probe infer --smooth psis` did (the same algorithm), and still compares raw with smoothed from one run.

The tail fit is Zhang and Stephens' (2009) estimator of the generalised Pareto distribution with
the weakly informative prior the PSIS paper uses (k shrunk towards 0.5 as if by 10 observations),
on the M = min(S / 5, 3 sqrt(S)) largest of S weights; the smoothed weights are the fitted
distribution's quantiles at (i - 1/2) / M above the threshold, never above the largest raw weight.
"""
import argparse
import glob
import os
import re

import numpy as np


def fit_generalised_pareto(x):
    """(k, sigma) for the exceedances x (ascending, positive)."""
    n = len(x)
    m = 30 + int(np.sqrt(n))
    b = 1 - np.sqrt(m / (np.arange(1, m + 1) - 0.5))
    b /= 3 * x[int(n / 4 + 0.5) - 1]
    b += 1 / x[-1]
    k = np.log1p(-b[:, None] * x).mean(axis=1)
    profile = n * (np.log(-(b / k)) - k - 1)
    with np.errstate(over="ignore"):
        weights = 1 / np.exp(profile - profile[:, None]).sum(axis=1)
    keep = weights >= 10 * np.finfo(float).eps
    b, weights = b[keep], weights[keep] / weights[keep].sum()
    b_mean = np.sum(b * weights)
    k_hat = np.log1p(-b_mean * x).mean()
    sigma = -k_hat / b_mean
    return (n * k_hat + 10 * 0.5) / (n + 10), sigma


def smoothed(log_weights):
    """The Pareto-smoothed log weights (shifted so that the largest raw one is 0) and k-hat."""
    lw = log_weights - log_weights.max()
    s = len(lw)
    m = int(min(0.2 * s, 3 * np.sqrt(s)))
    order = np.argsort(lw)
    tail, threshold = order[-m:], lw[order[-m - 1]]
    k, sigma = fit_generalised_pareto(np.exp(lw[tail]) - np.exp(threshold))
    p = (np.arange(m) + 0.5) / m
    quantiles = sigma * np.expm1(-k * np.log1p(-p)) / k + np.exp(threshold)
    out = lw.copy()
    out[tail] = np.minimum(np.log(quantiles), 0.0)
    return out, k


def weighted_mean(log_weights, values):
    w = np.exp(log_weights - log_weights.max())
    w /= w.sum()
    return w @ values, 1 / (w @ w)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir")
    parser.add_argument("reference_mean", type=float)
    parser.add_argument("posterior_sd", type=float)
    parser.add_argument("--latent", default="energy")
    args = parser.parse_args()
    paths = sorted(glob.glob(os.path.join(args.dir, "*-s*.csv")),
                   key=lambda p: int(re.search(r"-s(\d+)\.csv$", p).group(1)))
    if not paths:
        raise SystemExit(f"no NAME-s<seed>.csv files in {args.dir}: write them with probe export")
    rows = {"raw": [], "psis": []}
    ks = []
    for path in paths:
        d = np.genfromtxt(path, delimiter=",", names=True)
        lw, values = d["log_weight"], d[args.latent]
        rows["raw"].append(weighted_mean(lw, values))
        slw, k = smoothed(lw)
        rows["psis"].append(weighted_mean(slw, values))
        ks.append(k)
    for name, r in rows.items():
        means = np.array([m for m, _ in r])
        n = len(means)
        s2 = means.var(ddof=1)
        bias = means.mean() - args.reference_mean
        mse = s2 + max(0.0, bias ** 2 - s2 / n)
        print(f"{name:5s} seeds {n}  mean {means.mean():.4f}  sd of means {np.sqrt(s2):.4f}  bias {bias:+.4f}  "
              f"ESS by MSE {args.posterior_sd ** 2 / mse:.0f}  Kish ESS (mean) {np.mean([e for _, e in r]):.0f}")
    print(f"Pareto k-hat over the seeds: {min(ks):.2f} to {max(ks):.2f}")


if __name__ == "__main__":
    main()
