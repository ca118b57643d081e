"""The year-in-review card: a 1080 x 1350 PNG a person can download and share.

Drawn with Pillow (no browser, no plotting library: a few lines of text and bars). Uses
DejaVu Sans when the system has it (wide Unicode coverage for artists' names), else the font
Pillow ships. Takes the plain data of `spotify_etl.dashboard.pages.year_review`.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT, MARGIN = 1080, 1350, 80
BACKGROUND, INK, MUTED, GREEN = (18, 18, 18), (255, 255, 255), (179, 179, 179), (29, 185, 84)
FONTS = {False: Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
         True: Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")}


@lru_cache(maxsize=16)
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = FONTS[bold]
    if path.exists():
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def _fit(draw: ImageDraw.ImageDraw, text: str, font: Any, width: int) -> str:
    """Shorten text with an ellipsis until it fits the width."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def year_card(review: dict[str, Any]) -> bytes:
    """Draw the review as PNG bytes."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, WIDTH, 18], fill=GREEN)
    inner = WIDTH - 2 * MARGIN
    y = 90
    draw.text((MARGIN, y), f"{review['year']} in review", font=_font(40), fill=GREEN)
    y += 62
    draw.text((MARGIN, y), _fit(draw, review["name"], _font(72, True), inner),
              font=_font(72, True), fill=INK)
    y += 120
    figures = [("minutes", f"{review['minutes']:,}" if review.get("minutes") is not None
                else "—"),
               ("top genre", review.get("top_genre") or "—"),
               ("most discoveries", review.get("discovery_month") or "—")]
    column = inner // 3
    for number, (label, value) in enumerate(figures):
        x = MARGIN + number * column
        draw.text((x, y), label.upper(), font=_font(24), fill=MUTED)
        draw.text((x, y + 36), _fit(draw, value, _font(40, True), column - 20),
                  font=_font(40, True), fill=INK)
    y += 150
    for title, items in (("Top artists", review.get("top_artists") or []),
                         ("Top tracks", review.get("top_tracks") or [])):
        draw.text((MARGIN, y), title, font=_font(36, True), fill=GREEN)
        y += 58
        for rank, item in enumerate(items[:5], start=1):
            line = item.get("name") or "?"
            if item.get("artists"):
                line += " · " + ", ".join(item["artists"])
            draw.text((MARGIN, y), f"{rank}", font=_font(34, True), fill=MUTED)
            draw.text((MARGIN + 60, y), _fit(draw, line, _font(34), inner - 60),
                      font=_font(34), fill=INK)
            y += 54
        y += 40
    source = ("from your stored plays" if review.get("source") == "plays"
              else "from Spotify's long-term top lists")
    draw.text((MARGIN, HEIGHT - 90), f"spotify_etl · {source}", font=_font(26), fill=MUTED)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
