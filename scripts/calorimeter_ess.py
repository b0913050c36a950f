#!/usr/bin/env python3
"""ESS per CPU second from repeated inferences (scripts/bench-calorimeter-ess.sh writes them).

    python3 scripts/calorimeter_ess.py OUT [--reference S1,S2,...] [--base is] [--latents A,B,...]

Each setting S has runs OUT/S-s<seed>.json (probe infer --json) and OUT/S-s<seed>.time (wall,
user and sys seconds from /usr/bin/time, the whole process tree), one per seed, all on one
observation. For each latent theta, with S's posterior means m_1..m_n over its n seeds:

  ESS(S) = v / MSE(S),  MSE(S) = s^2 + bias^2

the number of independent posterior draws whose average would be as accurate as S's posterior
mean. v is the posterior variance: the pooled particle cloud of the reference settings (every
smc-tempered setting by default; mean of the runs' variances plus the variance of their means,
each run weighted equally). s^2 is the variance of m_1..m_n (n - 1 in the denominator). bias^2 =
max(0, (mean(m) - m_ref)^2 - s^2 / n - e^2), where m_ref is the reference mean from the reference
settings other than S (each setting's mean of means weighted by n_c / s_c^2) and e^2 its own
squared error (1 / sum of those weights); with no other reference setting bias^2 = 0. So ESS is
the seeds' spread for a setting without bias (tempered SMC, whose settings agree) and charges a
biased one (`is` keeping one run of 10,000) for its bias as well.

CPU seconds per inference are the mean user + sys over S's seeds, less the mean of the start-up
runs of its engine (startup-is, startup-smc, startup-ic) where present. The 90% intervals come from a
bootstrap over S's seeds (4,000 resamples; v and m_ref held); with n seeds and normal errors an
ESS is uncertain by a factor of about 1 +- 1.6 sqrt(2 / (n - 1)) at that level.
"""
import argparse
import glob
import json
import os
import re
import sys

import numpy as np

LATENTS = ("mass", "momentum", "x", "y")
# The start-up runs' names by engine: startup-is, startup-smc, startup-ic.
KINDS = {"is": "is", "smc-tempered": "smc", "ic": "ic"}


def load(out, latents):
    runs = {}
    for path in sorted(glob.glob(os.path.join(out, "*-s*.json"))):
        m = re.fullmatch(r"(.+)-s(\d+)\.json", os.path.basename(path))
        if not m:
            continue
        name, seed = m.group(1), int(m.group(2))
        d = json.load(open(path))
        t = open(path[:-5] + ".time").read().split()
        wall, user, sys_ = (float(x) for x in t[-3:])
        runs.setdefault(name, []).append({
            "seed": seed, "json": d, "cpu": user + sys_, "wall": wall,
            "mean": np.array([d["variables"][k]["mean"] for k in latents]),
            "var": np.array([d["variables"][k]["stddev"] ** 2 for k in latents]),
        })
    return runs


def posterior_variance(ref_runs):
    means = np.array([r["mean"] for r in ref_runs])
    varis = np.array([r["var"] for r in ref_runs])
    return varis.mean(axis=0) + means.var(axis=0)


def reference_mean(groups):
    """Inverse-variance weighted mean of the groups' means of means, and its squared error."""
    if not groups:
        return None, None
    w = []
    mu = []
    for g in groups:
        means = np.array([r["mean"] for r in g])
        w.append(len(g) / means.var(axis=0, ddof=1))
        mu.append(means.mean(axis=0))
    w = np.array(w)
    return (w * np.array(mu)).sum(axis=0) / w.sum(axis=0), 1 / w.sum(axis=0)


def mse(means, m_ref, e2):
    n = len(means)
    s2 = means.var(axis=0, ddof=1)
    if m_ref is None:
        return s2, np.zeros_like(s2)
    bias2 = np.maximum(0, (means.mean(axis=0) - m_ref) ** 2 - s2 / n - e2)
    return s2 + bias2, bias2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--reference", help="settings pooled as the reference (default: every smc-tempered setting)")
    ap.add_argument("--base", default="is", help="the setting the others are compared with (default: is)")
    ap.add_argument("--bootstrap", type=int, default=4000)
    ap.add_argument("--latents", default=",".join(LATENTS),
                    help="the posterior means compared, comma-separated (default: the calorimeter's %(default)s)")
    a = ap.parse_args()
    latents = a.latents.split(",")
    np.seterr(divide="ignore", invalid="ignore")  # a resample whose means all agree has infinite ESS
    runs = load(a.out, latents)
    startup = {k: np.mean([r["cpu"] for r in runs.pop("startup-" + k, [])] or [0.0]) for k in KINDS.values()}
    settings = sorted(runs, key=lambda s: (s != a.base, s))
    too_few = [s for s in settings if len(runs[s]) < 2]
    if too_few:
        print(f"(left out, fewer than 2 seeds: {', '.join(too_few)})")
        settings = [s for s in settings if s not in too_few]
    if a.reference:
        refs = a.reference.split(",")
        missing = [s for s in refs if s not in settings]
        if missing:
            sys.exit(f"--reference names {missing}, which have fewer than 2 runs in {a.out}; settings there: {settings}")
    else:
        refs = [s for s in settings if runs[s][0]["json"]["engine"] == "smc-tempered"]
    if not refs:
        sys.exit(f"no reference runs in {a.out}: run an smc-tempered setting, or name one with --reference")
    v = posterior_variance([r for s in refs for r in runs[s]])
    rng = np.random.default_rng(1)
    print("start-up CPU s (subtracted): " + ", ".join(f"{k} {startup[k]:.1f}" for k in KINDS.values()))
    print("reference: " + ", ".join(f"{s} ({len(runs[s])} runs)" for s in refs))
    print("posterior sd: " + ", ".join(f"{k} {np.sqrt(v[i]):.4f}" for i, k in enumerate(latents)))
    rows = {}
    for s in settings:
        rs = runs[s]
        means = np.array([r["mean"] for r in rs])
        m_ref, e2 = reference_mean([runs[t] for t in refs if t != s])
        err, bias2 = mse(means, m_ref, e2)
        e = v / err
        kind = KINDS[rs[0]["json"]["engine"]]
        cpu = np.mean([r["cpu"] for r in rs])
        net = cpu - startup[kind]
        b = np.empty((a.bootstrap, len(latents)))
        for i in range(a.bootstrap):
            b[i] = v / mse(means[rng.integers(len(rs), size=len(rs))], m_ref, e2)[0]
        rows[s] = (e, net, b)
        d = [r["json"] for r in rs]
        if kind == "smc":
            extra = (f"  temperatures {np.mean([x['temperatures'] for x in d]):.1f}, rounds {np.mean([x['rounds'] for x in d]):.1f},"
                     f" acceptance: independence {np.mean([x['independence_acceptance'] for x in d]):.3f},"
                     f" walk {np.mean([x['walk_acceptance'] for x in d]):.3f},"
                     f" single-site {np.mean([x['local_acceptance'] for x in d]):.3f};"
                     f" log evidence {np.mean([x['log_evidence'] for x in d]):.2f} +- {np.std([x['log_evidence'] for x in d], ddof=1):.2f}")
        else:
            extra = f"  Kish ESS {np.mean([x['ess'] for x in d]):.2f}"
        print(f"\n{s}: {len(rs)} seeds, CPU s {cpu:.1f} (without start-up {net:.1f}; min {min(r['cpu'] for r in rs):.1f},"
              f" max {max(r['cpu'] for r in rs):.1f}), wall s {np.mean([r['wall'] for r in rs]):.1f}\n {extra}")
        for k, name in enumerate(latents):
            lo, hi = np.percentile(b[:, k], [5, 95], method="inverted_cdf")
            print(f"  {name:9s} mean {means[:, k].mean():.4f}  sd of means {np.sqrt(err[k] - bias2[k]):.4f}"
                  f"  bias {np.sqrt(bias2[k]):.4f}  ESS {e[k]:7.2f} [{lo:.2f}, {hi:.2f}]  ESS/CPU s {e[k] / net:.3f}")
    if a.base in rows:
        eb, bnet, bb = rows[a.base]
        print(f"\nESS per CPU second (start-up taken off) over {a.base}'s, 90% bootstrap interval:")
        for s in settings:
            if s == a.base:
                continue
            e, net, b = rows[s]
            ratio = (e / net) / (eb / bnet)
            rb = (b / net) / (bb / bnet)
            print(f"  {s:10s} " + "  ".join(
                f"{name} {ratio[k]:.1f} [{np.percentile(rb[:, k], 5, method='inverted_cdf'):.1f},"
                f" {np.percentile(rb[:, k], 95, method='inverted_cdf'):.1f}]"
                for k, name in enumerate(latents)))


if __name__ == "__main__":
    main()
