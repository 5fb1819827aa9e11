"""The brief's brand kit, as the stages use it: the kit itself, and its font for a renderer.

A kit or file removed after the brief was accepted is a stage error naming it, not a crash.
"""

from __future__ import annotations

from ..brands import BrandKit, BrandStore
from .context import StageContext, StageFailure


def brand_kit(ctx: StageContext) -> BrandKit | None:
    brand_id = getattr(ctx.brief, "brand", None)
    if not brand_id:
        return None
    kit = BrandStore(ctx.services.settings.assets_root).get(brand_id)
    if kit is None:
        raise StageFailure(f"the brand kit {brand_id!r} is no longer in the assets folder")
    return kit


def kit_font(ctx: StageContext) -> dict[str, str] | None:
    """{"family", "path"} of the brand kit's font, as the renderers take it (None: DejaVu Sans)."""
    try:
        return BrandStore(ctx.services.settings.assets_root).renderer_font(getattr(ctx.brief, "brand", None))
    except FileNotFoundError as exc:
        raise StageFailure(str(exc)) from exc
