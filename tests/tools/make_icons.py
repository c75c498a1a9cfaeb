"""Draws the extension icons (a shield with an eye) into extension/icons/.

Run once after changing the design: python3 tests/tools/make_icons.py
Each size is drawn at 8x and downscaled so small sizes stay smooth.
"""
from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parents[2] / "extension" / "icons"
SIZES = (16, 32, 48, 128)
SCALE = 8

SHIELD = (31, 78, 161, 255)  # deep blue
EYE_WHITE = (255, 255, 255, 255)
PUPIL = (31, 78, 161, 255)


def shield_outline(s):
    """Points of a shield filling a square of side s (flat top, pointed bottom)."""
    top, side, bottom = 0.06 * s, 0.12 * s, 0.95 * s
    pts = [(side, top + 0.08 * s), (s / 2, top), (s - side, top + 0.08 * s)]
    # Right flank curving down to the point, then back up the left flank.
    steps = 24
    for i in range(1, steps + 1):
        t = i / steps
        x = (s - side) + (s / 2 - (s - side)) * t ** 1.8
        y = (top + 0.08 * s) + (bottom - top - 0.08 * s) * t
        pts.append((x, y))
    for i in range(steps - 1, 0, -1):
        t = i / steps
        x = side + (s / 2 - side) * t ** 1.8
        y = (top + 0.08 * s) + (bottom - top - 0.08 * s) * t
        pts.append((x, y))
    return pts


def draw(size):
    s = size * SCALE
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.polygon(shield_outline(s), fill=SHIELD)
    # Eye: almond made of two circle chords, centred a little above the middle.
    cx, cy, w = s / 2, s * 0.45, s * 0.58
    h = w * 0.62
    eye = Image.new("L", (s, s), 0)
    ed = ImageDraw.Draw(eye)
    r = (w * w / 4 + (h / 2) ** 2) / h  # radius of the arcs through the eye corners
    ed.ellipse((cx - r, cy - h / 2, cx + r, cy - h / 2 + 2 * r), fill=255)
    upper = Image.new("L", (s, s), 0)
    ImageDraw.Draw(upper).ellipse((cx - r, cy + h / 2 - 2 * r, cx + r, cy + h / 2), fill=255)
    eye = Image.composite(eye, Image.new("L", (s, s), 0), upper)
    img.paste(EYE_WHITE, (0, 0), eye)
    pr = h * 0.36
    d.ellipse((cx - pr, cy - pr, cx + pr, cy + pr), fill=PUPIL)
    hr = pr * 0.32
    d.ellipse((cx + pr * 0.2, cy - pr * 0.55, cx + pr * 0.2 + 2 * hr, cy - pr * 0.55 + 2 * hr), fill=EYE_WHITE)
    return img.resize((size, size), Image.LANCZOS)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        draw(size).save(OUT / f"icon-{size}.png", optimize=True)
        print(OUT / f"icon-{size}.png")


if __name__ == "__main__":
    main()
