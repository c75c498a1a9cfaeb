#!/usr/bin/env python3
"""Cross-validates the choice of a tuned rule's value on face-bench, from one per-photo file per
candidate value (examples/face_bench.rs with FACE_BENCH_PER_IMAGE=FILE, one build per value).

    python3 tests/tools/cv_rule.py BASELINE=FILE VALUE=FILE [VALUE=FILE ...]

The photos are split into K folds (repeated with R shuffles). On each split the value is chosen
on the other folds only: most faces >= 40 px found, then least total time. The chosen value is
then scored on the held-out fold beside the baseline. A value that only wins in-sample shows
here as held-out faces lost. Standard library only.
"""
import json
import random
import sys

K, R = 5, 20


def load(arg):
    value, path = arg.split('=', 1)
    with open(path) as f:
        return value, json.load(f)


def totals(runs, value, photos):
    run = runs[value]
    found = sum(run[p].get('found40', 0) for p in photos)
    ms = sum(run[p]['ms'] for p in photos)
    unmatched = sum(run[p].get('unmatched', 0) for p in photos)
    warn_neg = sum(run[p]['warn'] for p in photos if run[p]['category'] != 'face')
    return found, ms, unmatched, warn_neg


def main():
    args = [load(a) for a in sys.argv[1:]]
    if len(args) < 2:
        sys.exit(__doc__)
    baseline = args[0][0]
    runs = dict(args)
    photos = sorted(set.intersection(*(set(r) for r in runs.values())))
    faces40 = sum(runs[baseline][p].get('faces40', 0) for p in photos)
    print(f'{len(photos)} photos, {faces40} faces >= 40 px; in-sample (all photos):')
    for value in runs:
        found, ms, unmatched, warn_neg = totals(runs, value, photos)
        times = sorted(runs[value][p]['ms'] for p in photos)
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(f'  {value:>8}: found {found}, unmatched {unmatched}, warns on negatives {warn_neg}, total {ms:.0f} ms, p95 {p95:.1f} ms')
    chosen_count = {v: 0 for v in runs}
    delta_found, delta_ms, worst = 0, 0.0, 0
    for r in range(R):
        order = photos[:]
        random.Random(r).shuffle(order)
        for k in range(K):
            held = order[k::K]
            train = [p for i, p in enumerate(order) if i % K != k]
            best = max(runs, key=lambda v: (totals(runs, v, train)[0], -totals(runs, v, train)[1]))
            chosen_count[best] += 1
            f_best, ms_best, _, _ = totals(runs, best, held)
            f_base, ms_base, _, _ = totals(runs, baseline, held)
            delta_found += f_best - f_base
            delta_ms += ms_best - ms_base
            worst = min(worst, f_best - f_base)
    n = R * K
    print(f'{R} x {K}-fold: chosen {chosen_count}')
    print(f'held-out, chosen value minus baseline {baseline}: faces >= 40 px {delta_found / R:+.2f} per pass over all photos '
          f'(worst fold {worst:+d}), time {delta_ms / R:+.0f} ms per pass')


if __name__ == '__main__':
    main()
