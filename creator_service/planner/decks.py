"""Every video type's built-in copy, for the template planner."""

from __future__ import annotations

from .copy_compliance_video import COMPLIANCE_VIDEO_DECK
from .copy_doctor_ad import DOCTOR_AD_DECK
from .copy_moa import MOA_DECK
from .copy_product_ad import PRODUCT_AD_DECK
from .copy_social_media import SOCIAL_MEDIA_DECK
from .deck import CopyDeck

DECKS: dict[str, CopyDeck] = {
    deck.video_type: deck
    for deck in (PRODUCT_AD_DECK, COMPLIANCE_VIDEO_DECK, MOA_DECK, DOCTOR_AD_DECK, SOCIAL_MEDIA_DECK)
}
