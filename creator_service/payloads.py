"""The briefs a client sends with `start`, one strict model per video type.

Fields the spec shows as `"string"` are required. Fields the spec shows with a literal value
(`"persona": "compliance officer"`) take that value as their default, which keeps the spec's own
client example (a `moa` start with only three fields) valid. `quality` defaults to `high`, the
shippable 1080p; `low` is the fast preview. The Remotion types take `quality` too (an addition
to the spec), and `doctor_ad` takes a `logo` (a path inside the assets folder).
Strings are strict (no numbers turned into text), trimmed, non-empty and capped in length;
unknown fields are refused rather than silently dropped.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from .rendering.formats import Aspect

TEXT_LIMIT = 4_000
REFERENCE_DOCS_LIMIT = 20_000

Text = Annotated[
    str, StringConstraints(strict=True, strip_whitespace=True, min_length=1, max_length=TEXT_LIMIT)
]
ReferenceText = Annotated[
    str,
    StringConstraints(
        strict=True, strip_whitespace=True, min_length=1, max_length=REFERENCE_DOCS_LIMIT
    ),
]
Quality = Literal["low", "high"]
# A path inside the assets folder, as returned by POST /assets/logos (checked again at start).
AssetPath = Annotated[
    str,
    StringConstraints(
        strict=True, strip_whitespace=True, min_length=1, max_length=200,
        pattern=r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*\.(png|jpg|jpeg|webp)$",
    ),
]


MusicMood = Literal["none", "calm", "uplifting", "corporate", "warm"]
CaptionMode = Literal["burned", "sidecar", "none"]
# A BCP-47 language tag: a 2-3 letter language, then optional script, region or variant subtags.
Language = Annotated[
    str, StringConstraints(strict=True, strip_whitespace=True, max_length=35,
                           pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"),
]


ReferenceId = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, pattern=r"^ref_[0-9a-f]{12}$")]
BrandId = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, pattern=r"^brand_[0-9a-f]{12}$")]


class Brief(BaseModel):
    """Shared configuration of every payload model, and the fields every brief has: the
    background music's mood, how captions are delivered, and the language. Each type sets its
    own defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    music: MusicMood = "none"
    captions: CaptionMode = "sidecar"
    language: Language = "en"
    # None: the type's own aspect (9:16 for social_media, 16:9 for the others).
    aspect: Aspect | None = None
    # Several aspects from one run: the render makes an MP4 for each (the first is `aspect`'s).
    formats: list[Aspect] | None = Field(default=None, min_length=1, max_length=4)
    # A brand kit's id, from POST /brands (checked again at start: it must exist and be yours).
    brand: BrandId | None = None
    # References from POST /assets/references: every claim is traced to them, in this order.
    references: list[ReferenceId] | None = Field(default=None, max_length=20)


class ProductAdBrief(Brief):
    topic: Text
    brand_name: Text
    persona: Text
    tone: Text
    region: Text | None = None
    # The risks the safety scene must state (risk_content); a reference's safety statements count too.
    safety_information: Text | None = None
    quality: Quality = "high"
    music: MusicMood = "warm"


class ComplianceVideoBrief(Brief):
    prompt: Text
    brand_name: Text
    persona: Text = "compliance officer"
    tone: Text = "formal and precise"
    reference_docs: ReferenceText | None = None
    quality: Quality = "high"


class MoaBrief(Brief):
    drug_name: Text
    condition: Text
    target_audience: Text = "healthcare professionals"
    persona: Text = "professional medical narrator"
    tone: Text = "clear and educational"
    quality: Quality = "high"
    music: MusicMood = "calm"


class DoctorAdBrief(Brief):
    drug_name: Text
    indication: Text
    moa_summary: Text | None = None
    clinical_data: Text | None = None
    persona: Text = "professional medical narrator"
    tone: Text = "scientific and professional"
    # The risks the safety scene must state (risk_content); a reference's safety statements count too.
    safety_information: Text | None = None
    quality: Quality = "high"
    logo: AssetPath | None = None
    music: MusicMood = "corporate"


class SocialMediaBrief(Brief):
    drug_name: Text
    indication: Text
    key_benefit: Text | None = None
    target_audience: Text = "patients"
    persona: Text = "friendly health narrator"
    tone: Text = "engaging and conversational"
    # The risks the safety scene must state (risk_content); a reference's safety statements count too.
    safety_information: Text | None = None
    quality: Quality = "high"
    music: MusicMood = "uplifting"
    captions: CaptionMode = "burned"


AnyBrief = ProductAdBrief | ComplianceVideoBrief | MoaBrief | DoctorAdBrief | SocialMediaBrief

# The spec's five video types, in the spec's order.
BRIEF_MODELS: dict[str, type[Brief]] = {
    "product_ad": ProductAdBrief,
    "compliance_video": ComplianceVideoBrief,
    "moa": MoaBrief,
    "doctor_ad": DoctorAdBrief,
    "social_media": SocialMediaBrief,
}


class FieldError(BaseModel):
    field: str
    error: str


def describe_validation_error(exc: ValidationError, model: type[BaseModel], prefix: str) -> list[FieldError]:
    """Turn pydantic's errors into one plain sentence per offending field."""
    allowed = ", ".join(model.model_fields)
    problems: list[FieldError] = []
    for err in exc.errors():
        location = ".".join(str(part) for part in err["loc"])
        field = f"{prefix}.{location}" if location else prefix
        ctx: dict[str, Any] = err.get("ctx") or {}
        kind = err["type"]
        if kind == "missing":
            message = "is required"
        elif kind == "extra_forbidden":
            message = f"is not a known field; allowed fields are: {allowed}"
        elif kind == "string_type":
            message = f"must be a string, got {type(err['input']).__name__}"
        elif kind == "string_too_short":
            message = "must not be empty"
        elif kind == "string_too_long":
            message = (
                f"must be at most {ctx['max_length']:,} characters, "
                f"got {len(err['input']):,}"
            )
        elif kind == "literal_error":
            message = f"must be one of {ctx['expected']}, got {err['input']!r}"
        elif kind == "model_type":
            message = "must be a JSON object"
        elif kind == "string_pattern_mismatch":
            message = (
                "must be a BCP-47 language tag such as 'en', 'de' or 'pt-BR'" if location == "language" else
                "must be a brand kit id such as 'brand_0123456789ab', from POST /brands" if location == "brand" else
                "must be a path inside the assets folder such as 'logos/abc123.png' "
                "(PNG, JPEG or WebP; no '..' or absolute paths)"
            )
        else:
            message = err["msg"]
        problems.append(FieldError(field=field, error=message))
    return problems


# What a form shows next to each field.
FIELD_HELP: dict[str, str] = {
    "topic": "What the ad is about, e.g. 'New diabetes medication'.",
    "brand_name": "The product's brand name.",
    "persona": "Who the narrator is, e.g. 'friendly health narrator'.",
    "tone": "How it should sound, e.g. 'clear and reassuring'.",
    "region": "Where it will run, e.g. 'United States' (optional).",
    "prompt": "What the compliance video must cover.",
    "reference_docs": "The approved text (label, prescribing information). Every factual sentence must come from it.",
    "drug_name": "The medicine's name.",
    "condition": "The disease the mechanism acts on.",
    "indication": "What the medicine is indicated for.",
    "key_benefit": "One benefit the brief may claim, in your approved words.",
    "target_audience": "Who watches: patients, caregivers, healthcare professionals…",
    "moa_summary": "How the medicine works, in one sentence.",
    "clinical_data": "Approved figures, e.g. 'HbA1c -1.1% with X vs -0.3% with placebo'.",
    "quality": "low: a fast preview (about 480p, 15 fps); high: 1080p, 30 fps.",
    "logo": "A logo uploaded with POST /assets/logos (its returned path).",
    "music": "Background music: none, or a mood (from your music library, or composed). It ducks under the voice.",
    "captions": "burned: drawn on the video; sidecar: WebVTT and SRT files beside it; none.",
    "language": "The narration's language, as a BCP-47 tag: en, de, fr, es, pt-BR, ja…",
    "aspect": "16:9, 9:16, 1:1 or 4:5; empty keeps the type's own (9:16 for social_media, 16:9 otherwise).",
    "formats": "Several aspects from one run, e.g. [\"16:9\", \"9:16\"]: the render makes an MP4 for each.",
    "brand": "A brand kit from POST /brands: its colours, font and logo (optional).",
    "references": "Documents every claim is traced to (PDF, text or Markdown, uploaded with POST /assets/references).",
    "safety_information": "The risks the safety scene must state, in your approved words (risk_content checks them).",
}
FIELD_LABELS: dict[str, str] = {"moa_summary": "MoA summary", "reference_docs": "Reference documents"}
LONG_TEXT_FIELDS = frozenset({"reference_docs", "clinical_data", "moa_summary", "prompt"})


def field_schema(model: type[Brief]) -> list[dict[str, Any]]:
    """What a form needs to know about each field: required, default, allowed values, limits."""
    fields: list[dict[str, Any]] = []
    # The fields every brief shares come last on a form, after what the video is about.
    shared = [name for name in Brief.model_fields if name in model.model_fields]
    ordered = [name for name in model.model_fields if name not in shared] + shared
    for name, info in ((name, model.model_fields[name]) for name in ordered):
        annotation = info.annotation
        # `X | None` is an optional X.
        options = [arg for arg in get_args(annotation) if arg is not type(None)]
        if get_origin(annotation) is not Literal and len(options) == 1:
            annotation = options[0]
        entry: dict[str, Any] = {
            "name": name,
            "label": FIELD_LABELS.get(name, name.replace("_", " ").capitalize()),
            "help": FIELD_HELP.get(name, ""),
            "required": info.is_required(),
        }
        if not info.is_required():
            entry["default"] = info.default
        metadata = [*info.metadata, *getattr(annotation, "__metadata__", ())]
        constraints = [m for m in metadata if isinstance(m, StringConstraints)]
        if get_origin(annotation) is Literal:
            entry["type"] = "choice"
            entry["choices"] = list(get_args(annotation))
        elif name == "references":
            entry["type"] = "references"
        elif get_origin(annotation) is list:
            # A list of choices (formats): pick several.
            entry["type"] = "multi_choice"
            entry["choices"] = list(get_args(get_args(annotation)[0]))
        elif name == "logo":
            entry["type"] = "asset"
        else:
            entry["type"] = "long_text" if name in LONG_TEXT_FIELDS else "text"
        if constraints and constraints[0].max_length:
            entry["max_length"] = constraints[0].max_length
        fields.append(entry)
    return fields
