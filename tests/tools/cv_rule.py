#!/usr/bin/env python3
"""Cross-validates the choice of a tuned rule's value on face-bench, from one per-photo file per
candidate value (examples/face_bench.rs with FACE_BENCH_PER_IMAGE=FILE, one build per value).

    python3 tests/tools/cv_rule.py BASELINE=FILE VALUE=FILE [VALUE=FILE ...]

The photos are split into K folds (repeated with R shuffles). On each split the value is chosen
on the other folds only: most faces >= 40 px found, then least total time. The chosen value is
then scored on the held-out fold beside the baseline (faces found, false boxes, warnings on
photos without a face, time; times come from separate runs, so machine drift is in them). A
value that only wins in-sample shows here as held-out faces lost. Standard library only.
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
    """Faces >= 40 px found, time, false boxes (unmatched on face photos, every box on the
    others) and warnings on photos without a face."""
    run = runs[value]
    found = sum(run[p].get('found40', 0) for p in photos)
    ms = sum(run[p]['ms'] for p in photos)
    false_boxes = sum(run[p].get('unmatched', 0) if run[p]['category'] == 'face' else run[p]['detections'] for p in photos)
    warn_neg = sum(run[p]['warn'] for p in photos if run[p]['category'] != 'face')
    return found, ms, false_boxes, warn_neg


def main():
    args = [load(a) for a in sys.argv[1:]]
    if len(args) < 2 or len({v for v, _ in args}) != len(args):
        sys.exit(__doc__)
    baseline = args[0][0]
    runs = dict(args)
    photos = sorted(set.intersection(*(set(r) for r in runs.values())))
    faces40 = sum(runs[baseline][p].get('faces40', 0) for p in photos)
    print(f'{len(photos)} photos, {faces40} faces >= 40 px; in-sample (all photos):')
    for value in runs:
        found, ms, false_boxes, warn_neg = totals(runs, value, photos)
        times = sorted(runs[value][p]['ms'] for p in photos)
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(f'  {value:>8}: found {found}, false boxes {false_boxes}, warns on negatives {warn_neg}, total {ms:.0f} ms, p95 {p95:.1f} ms')
    chosen_count = {v: 0 for v in runs}
    # Held-out differences, chosen value minus baseline, summed over the folds of each pass.
    delta = [0, 0.0, 0, 0]
    worst = None
    for r in range(R):
        order = photos[:]
        random.Random(r).shuffle(order)
        for k in range(K):
            held = order[k::K]
            train = [p for i, p in enumerate(order) if i % K != k]
            best = max(runs, key=lambda v: (totals(runs, v, train)[0], -totals(runs, v, train)[1]))
            chosen_count[best] += 1
            diff = [b - a for a, b in zip(totals(runs, baseline, held), totals(runs, best, held))]
            delta = [d + x for d, x in zip(delta, diff)]
            worst = diff[0] if worst is None else min(worst, diff[0])
    print(f'{R} x {K}-fold: chosen {chosen_count}')
    print(f'held-out, chosen value minus baseline {baseline}, per pass over all photos: faces >= 40 px '
          f'{delta[0] / R:+.2f} (worst fold {worst:+d}), false boxes {delta[2] / R:+.2f}, '
          f'warnings on photos without a face {delta[3] / R:+.2f}, time {delta[1] / R:+.0f} ms')


if __name__ == '__main__':
    main()
