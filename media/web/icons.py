"""The pages' icons: one inline SVG sprite (`<use href="#i-heart">`), so nothing depends on emoji fonts."""

from __future__ import annotations

_SYMBOLS = {
    "heart": '<path fill="currentColor" d="M12 21s-7.5-4.6-9.6-9.3C.9 8.3 3 4.5 6.7 4.5c2.1 0 3.6 1.1 '
    '5.3 3 1.7-1.9 3.2-3 5.3-3 3.7 0 5.8 3.8 4.3 7.2C19.5 16.4 12 21 12 21z"/>',
    "bag": '<path fill="currentColor" d="M7 8V7a5 5 0 0 1 10 0v1h2.2c.6 0 1 .4 1.1 1l1.2 11c.1.6-.4 '
    "1.1-1 1.1H3.5c-.6 0-1.1-.5-1-1.1l1.2-11c.1-.6.5-1 1.1-1H7zm2 0h6V7a3 3 0 0 0-6 0v1zm-1 3.5a1 1 0 1 0 "
    '0-2 1 1 0 0 0 0 2zm8 0a1 1 0 1 0 0-2 1 1 0 0 0 0 2z"/>',
    "share": '<path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" '
    'stroke-linejoin="round" d="M14 5l6 6-6 6M20 11h-7c-4.4 0-8 3.1-9 8 1.8-2.5 4.8-4 9-4h7"/>',
    "gift": '<path fill="currentColor" d="M4 11h7v10H5a1 1 0 0 1-1-1v-9zm9 0h7v9a1 1 0 0 1-1 1h-6V11zM3 '
    "7h8v3H3a1 1 0 0 1-1-1V8a1 1 0 0 1 1-1zm10 0h8a1 1 0 0 1 1 1v1a1 1 0 0 1-1 1h-8V7zm-1-.5C10.5 3 "
    '7.5 2.6 6.8 4.2 6.2 5.6 8 6.8 12 7zm0 0c1.5-3.5 4.5-3.9 5.2-2.3.6 1.4-1.2 2.6-5.2 2.8z"/>',
    "close": '<path fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" '
    'd="M6 6l12 12M18 6L6 18"/>',
    "ticket": '<path fill="currentColor" d="M3 6h18a1 1 0 0 1 1 1v3a2 2 0 0 0 0 4v3a1 1 0 0 1-1 1H3a1 1 0 '
    '0 1-1-1v-3a2 2 0 0 0 0-4V7a1 1 0 0 1 1-1zm6 2v2h2V8H9zm0 3v2h2v-2H9zm0 3v2h2v-2H9z"/>',
    "lucky": '<path fill="currentColor" d="M8.5 3h7l-1.6 3.2c3.6 1.6 6.1 5.6 6.1 9.3C20 19.2 16.9 21 12 '
    '21s-8-1.8-8-5.5c0-3.7 2.5-7.7 6.1-9.3L8.5 3zm2.4 8.2-1.5 1.5L12 15.3l2.6-2.6-1.5-1.5L12 12.3z"/>',
    "vote": '<path fill="currentColor" d="M4 13h3v7H4zm6.5-9h3v16h-3zM17 9h3v11h-3z"/>',
    "clock": '<path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" '
    'd="M12 7v5l3 2M21 12a9 9 0 1 1-18 0 9 9 0 0 1 18 0z"/>',
    "send": '<path fill="currentColor" d="M3 20.5 21.5 12 3 3.5v6.6l12 1.9-12 1.9z"/>',
    "plus": '<path fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" '
    'd="M12 5v14M5 12h14"/>',
    "check": '<path fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" '
    'stroke-linejoin="round" d="M5 12.5l4.5 4.5L19 7.5"/>',
    "sound": '<path fill="currentColor" d="M4 9h4l5-4v14l-5-4H4z"/><path fill="none" stroke="currentColor" '
    'stroke-width="2" stroke-linecap="round" d="M16.5 8.5a5 5 0 0 1 0 7M19 6a8.5 8.5 0 0 1 0 12"/>',
    "eye": '<path fill="none" stroke="currentColor" stroke-width="2" d="M2 12s3.6-6.5 10-6.5S22 12 22 '
    '12s-3.6 6.5-10 6.5S2 12 2 12z"/><circle cx="12" cy="12" r="3" fill="currentColor"/>',
    "bolt": '<path fill="currentColor" d="M13 2 4 14h7l-1 8 9-12h-7z"/>',
}

ICONS = (
    '<svg xmlns="http://www.w3.org/2000/svg" style="display:none" aria-hidden="true">'
    + "".join(f'<symbol id="i-{name}" viewBox="0 0 24 24">{body}</symbol>' for name, body in _SYMBOLS.items())
    + "</svg>"
)
