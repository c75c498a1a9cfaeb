#!/usr/bin/env python3
"""Builds extension/pages/world-outline.json, the land outline the classroom demo draws a photo's
location on, offline. Source: Natural Earth 1:110m countries (public domain), as shipped in the
geopandas 0.14 wheel (geopandas/datasets/naturalearth_lowres). Country borders are dropped by
merging nothing: each polygon ring is kept, simplified to about 0.7 degree.
Usage: python3 tests/tools/make_world.py PATH/naturalearth_lowres.shp   (needs pyshp)
"""
import json
import sys
from pathlib import Path

import shapefile

TOLERANCE = 0.7  # degrees


def simplify(points, tol):
    """Douglas-Peucker on a polyline of (lon, lat)."""
    if len(points) < 3:
        return points
    (x1, y1), (x2, y2) = points[0], points[-1]
    dx, dy = x2 - x1, y2 - y1
    norm = (dx * dx + dy * dy) ** 0.5 or 1e-9
    best, index = 0.0, 0
    for i, (x, y) in enumerate(points[1:-1], 1):
        d = abs(dy * (x - x1) - dx * (y - y1)) / norm if (dx or dy) else ((x - x1) ** 2 + (y - y1) ** 2) ** 0.5
        if d > best:
            best, index = d, i
    if best <= tol:
        return [points[0], points[-1]]
    return simplify(points[: index + 1], tol)[:-1] + simplify(points[index:], tol)


def main(path):
    rings = []
    for shape in shapefile.Reader(path).shapes():
        parts = list(shape.parts) + [len(shape.points)]
        for a, b in zip(parts, parts[1:]):
            ring = simplify([tuple(p) for p in shape.points[a:b]], TOLERANCE)
            if len(ring) >= 4:
                rings.append([[round(x, 1), round(y, 1)] for x, y in ring])
    out = Path(__file__).resolve().parents[2] / "extension" / "pages" / "world-outline.json"
    out.write_text(json.dumps({
        "source": "Natural Earth 1:110m countries, public domain (naturalearthdata.com), simplified",
        "rings": rings,
    }, separators=(",", ":")) + "\n")
    print(out, out.stat().st_size, "bytes,", len(rings), "rings")


if __name__ == "__main__":
    main(sys.argv[1])
