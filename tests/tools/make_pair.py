#!/usr/bin/env python3
"""Builds tests/fixtures/photos/pair.png: astronaut.png and camera.png side by side, a
two-face photo for the "mask only the selected face" tests. Public domain + CC0 inputs."""
from pathlib import Path
from PIL import Image

photos = Path(__file__).resolve().parents[1] / "fixtures" / "photos"
left = Image.open(photos / "astronaut.png").convert("RGB")
right = Image.open(photos / "camera.png").convert("RGB")
pair = Image.new("RGB", (left.width + right.width, max(left.height, right.height)), (240, 240, 240))
pair.paste(left, (0, 0))
pair.paste(right, (left.width, 0))
pair.save(photos / "pair.png", optimize=True)
