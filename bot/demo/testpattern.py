"""Pure: the demo host's picture — moving colour bars, the wall clock, the show title and a frame counter."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)
_BARS = np.array(
    [[192, 192, 192], [192, 192, 0], [0, 192, 192], [0, 192, 0], [192, 0, 192], [192, 0, 0], [0, 0, 192]],
    dtype=np.uint8,
)


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for candidate in FONT_CANDIDATES:
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default()


class TestPattern:
    """Frame `index` of a `width`×`height` picture; the same index and time always give the same picture."""

    __test__ = False  # not a pytest class

    def __init__(self, title: str, width: int = 640, height: int = 360) -> None:
        self.title = title
        self.width = width
        self.height = height
        columns = np.arange(width) * len(_BARS) // width
        self._bars = _BARS[columns]  # one row of colour bars

    def frame(self, index: int, now: dt.datetime) -> NDArray[np.uint8]:
        shift = (index * 4) % self.width
        row = np.roll(self._bars, shift, axis=0)
        picture = np.broadcast_to(row, (self.height, self.width, 3)).copy()
        # A bar sweeping down makes motion (and frame drops) visible at a glance.
        sweep = (index * 6) % self.height
        picture[sweep : sweep + 6, :, :] = 255
        image = Image.fromarray(picture)
        draw = ImageDraw.Draw(image)
        band = self.height // 3
        draw.rectangle((0, band, self.width, 2 * band), fill=(16, 16, 16))
        clock = now.strftime("%H:%M:%S.") + f"{now.microsecond // 1000:03d}"
        draw.text(
            (self.width // 2, band + band // 3), clock, font=_font(band // 3), fill="white", anchor="mm"
        )
        draw.text(
            (self.width // 2, band + 3 * band // 4),
            self.title,
            font=_font(band // 5),
            fill=(255, 200, 0),
            anchor="mm",
        )
        draw.text((8, self.height - 8), f"#{index}", font=_font(14), fill="white", anchor="ld")
        return np.asarray(image, dtype=np.uint8)
