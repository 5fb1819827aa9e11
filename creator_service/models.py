"""What each stage produces: typed, JSON-serialisable, and free of absolute paths.

Files are recorded relative to the video's folder, so an output stays valid wherever the data
directory lives; URLs for clients are made from those paths only when an event is sent.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

Style = Literal["neutral", "simple", "formal", "casual"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FileUrls(Protocol):
    def __call__(self, relative_path: str) -> str: ...


class Directives(Model):
    """How the planner is asked to write: built from the tone, then from each round of feedback."""

    length: float = 1.0
    style: Style = "neutral"
    mentions: list[str] = Field(default_factory=list)
    scene_delta: int = 0
    variation: int = 0


class FeedbackReading(Model):
    """What the planner made of the reviewer's words, shown back so they know it was heard."""

    feedback: str | None = None
    understood: list[str] = Field(default_factory=list)
    # What the planner could not act on, and why, in words for the reviewer.
    notes: list[str] = Field(default_factory=list)


class PlannedScene(Model):
    index: int
    kind: str
    title: str
    on_screen_text: str
    visual: str
    target_seconds: float
    eyebrow: str = ""
    body: str = ""
    bullets: list[str] = Field(default_factory=list)
    # Stock footage or photo to look for; None means the scene is drawn, not filmed.
    media_query: str | None = None


class ScenePlan(Model):
    video_type: str
    aspect_ratio: str
    total_seconds: float
    scenes: list[PlannedScene]
    directives: Directives
    planner: str
    feedback: FeedbackReading = Field(default_factory=FeedbackReading)

    def client_data(self, urls: FileUrls) -> dict[str, Any]:
        return {
            "scenes_data": self.model_dump(mode="json"),
            "scene_count": len(self.scenes),
        }


class Claim(Model):
    """One factual sentence of the narration, traced to the reference sentence that supports it."""

    scene: int
    text: str
    supported: bool
    # When supported: the reference's id, its number on the references card, and the sentence.
    reference: str | None = None
    reference_number: int | None = None
    quote: str | None = None
    # When not: the rule it failed, and why, in words for the reviewer.
    rule: str | None = None
    detail: str | None = None


class RuleResult(Model):
    """One compliance rule checked on a stage's output; `evidence` gives what was measured."""

    rule: str
    passed: bool
    evidence: dict[str, Any] = Field(default_factory=dict)


class ReviewWarning(Model):
    """Something a reviewer must acknowledge before accepting (an unsupported claim, a failed rule)."""

    rule: str
    detail: str
    scene: int | None = None
    text: str | None = None


class SceneNarration(Model):
    scene_index: int
    kind: str
    title: str
    text: str
    word_count: int
    estimated_seconds: float


class Script(Model):
    persona: str
    tone: str
    scenes: list[SceneNarration]
    total_words: int
    estimated_seconds: float
    directives: Directives
    planner: str
    feedback: FeedbackReading = Field(default_factory=FeedbackReading)
    # Each factual sentence traced to its reference, and the content rules (risk_content).
    claims: list[Claim] = Field(default_factory=list)
    compliance: list[RuleResult] = Field(default_factory=list)

    def review_warnings(self) -> list[ReviewWarning]:
        return [*claim_warnings(self.claims), *rule_warnings(self.compliance)]

    def client_data(self, urls: FileUrls) -> dict[str, Any]:
        return {
            "script": self.model_dump(mode="json", exclude={"claims", "compliance"}),
            "scene_count": len(self.scenes),
            "total_words": self.total_words,
            "estimated_seconds": self.estimated_seconds,
            "claims": [claim.model_dump(mode="json") for claim in self.claims],
            "compliance": [rule.model_dump(mode="json") for rule in self.compliance],
            "warnings": [warning.model_dump(mode="json") for warning in self.review_warnings()],
        }


def claim_warnings(claims: list[Claim]) -> list[ReviewWarning]:
    return [ReviewWarning(rule=c.rule or "unsupported_statement", detail=c.detail or "not supported",
                          scene=c.scene, text=c.text) for c in claims if not c.supported]


def rule_warnings(rules: list[RuleResult]) -> list[ReviewWarning]:
    return [ReviewWarning(rule=r.rule, detail=str(r.evidence.get("summary") or f"{r.rule} failed"))
            for r in rules if not r.passed]


class MediaCredit(Model):
    """Where an asset came from, for attribution and for the reviewer's audit trail."""

    kind: Literal["manim", "generated", "library", "pexels", "remotion", "music"]
    description: str
    author: str | None = None
    url: str | None = None
    license: str | None = None


class KeyframeSet(Model):
    """PNG frames rendered at scene-local frame numbers (Remotion); each holds until the next."""

    directory: str
    frames: list[int]
    files: list[str]


class ClipLayers(Model):
    """What a scene is made of, so the render stage can rebuild it at the voice's length.

    Either `clip` (a finished animation, held on its last frame when the voice runs longer),
    or a `background` (looped) under an optional still `backdrop`, then a `foreground_video` or
    `foreground_keys` (still after their entrance), and optional `overlay_keys` from the
    animations stage.
    """

    clip: str | None = None
    background: str | None = None
    background_offset: float = 0.0
    backdrop: str | None = None
    foreground_video: str | None = None
    foreground_keys: KeyframeSet | None = None
    overlay_keys: KeyframeSet | None = None


class Clip(Model):
    scene_index: int
    # The preview the reviewer watches (with logo, overlays): not an input of the final cut.
    # A plain Manim clip is its own preview and ends with its animation; the scene holds its
    # last frame for the rest of `duration`.
    path: str
    thumbnail: str
    # The scene's length as planned from the estimated narration.
    duration: float
    # The preview's size: the video's (a preview made of the final chunks), or half of it for
    # a quick preview of an HD video whose captions are burned over every scene.
    width: int
    height: int
    fps: int
    layers: ClipLayers
    sources: list[MediaCredit] = Field(default_factory=list)
    # Where the scene shows text ([left, top, right, bottom], frame fractions), from the
    # renderer's own layout data: burned captions keep clear of it.
    text_boxes: list[list[float]] = Field(default_factory=list)


def _clip_data(clip: Clip, urls: FileUrls) -> dict[str, Any]:
    return {
        "scene_index": clip.scene_index,
        "url": urls(clip.path),
        "thumbnail_url": urls(clip.thumbnail),
        "duration": clip.duration,
        "width": clip.width,
        "height": clip.height,
        "fps": clip.fps,
        "sources": [source.model_dump(mode="json") for source in clip.sources],
        "text_boxes": clip.text_boxes,
    }


class Visuals(Model):
    quality: str
    width: int
    height: int
    fps: int
    aspect_ratio: str
    palette: str
    palette_colors: dict[str, str]
    clips: list[Clip]
    # The logo laid over every scene (doctor_ad's, or a brand kit's), a PNG inside the video's folder.
    logo: str | None = None
    feedback: FeedbackReading = Field(default_factory=FeedbackReading)

    def client_data(self, urls: FileUrls) -> dict[str, Any]:
        return {
            "quality": self.quality,
            "palette": self.palette,
            "colours": self.palette_colors,
            "feedback": self.feedback.model_dump(mode="json"),
            "width": self.width,
            "height": self.height,
            "fps": self.fps,
            "aspect_ratio": self.aspect_ratio,
            "logo_url": urls(self.logo) if self.logo else None,
            "clip_count": len(self.clips),
            "clips": [_clip_data(clip, urls) for clip in self.clips],
        }


class Animations(Model):
    """The Remotion types' motion layer: each scene with its overlays, and the end card."""

    clips: list[Clip]
    end_card: Clip | None
    lower_thirds: list[dict[str, Any]]
    callouts: list[dict[str, Any]]
    # What the reviewer asked for here, carried into the next version.
    mentions: list[str] = Field(default_factory=list)
    callouts_on: bool = True
    feedback: FeedbackReading = Field(default_factory=FeedbackReading)

    def client_data(self, urls: FileUrls) -> dict[str, Any]:
        return {
            "feedback": self.feedback.model_dump(mode="json"),
            "clip_count": len(self.clips),
            "clips": [_clip_data(clip, urls) for clip in self.clips],
            "end_card": _clip_data(self.end_card, urls) if self.end_card else None,
            "lower_thirds": self.lower_thirds,
            "callouts": self.callouts,
            "captions": "captions are timed to the voice at render: burned or as WebVTT/SRT files, as the brief says",
        }


class LoudnessReport(Model):
    integrated_lufs: float
    true_peak_dbtp: float
    # Set on the final mix: what it was made for, and whether it made it (±1 LU, ≤ -1.5 dBTP).
    target_lufs: float | None = None
    within_target: bool | None = None


class WordTime(Model):
    word: str
    start: float
    end: float


class AudioTrack(Model):
    scene_index: int
    path: str
    duration: float
    sample_rate: int
    text: str
    # When each word is said: the voice service's timestamps (ElevenLabs), the synthesiser's
    # phoneme alignments (Piper), or estimated from the audio (espeak-ng).
    words: list[WordTime] = Field(default_factory=list)
    timing: Literal["voice", "aligned", "estimated"] = "voice"

    @property
    def spoken_seconds(self) -> float:
        """How long the scene must last for its words: to the last word when the voice timed them."""
        if self.words and self.timing == "voice":
            return min(self.duration, self.words[-1].end + 0.15)
        return self.duration


class Voiceover(Model):
    engine: str
    voice: str
    sample_rate: int
    tracks: list[AudioTrack]
    total_duration: float
    # Why a preferred voice did not speak, when a fallback did.
    notes: list[str] = Field(default_factory=list)
    # Speaking pace asked for by feedback: above 1 is slower.
    pace: float = 1.0
    feedback: FeedbackReading = Field(default_factory=FeedbackReading)
    # The narration's measured loudness, all tracks end to end, as spoken (the render sets the
    # final level; this says how far it has to go).
    loudness: LoudnessReport | None = None

    def client_data(self, urls: FileUrls) -> dict[str, Any]:
        return {
            "loudness": self.loudness.model_dump(mode="json") if self.loudness else None,
            "engine": self.engine,
            "voice": self.voice,
            "notes": self.notes,
            "pace": self.pace,
            "feedback": self.feedback.model_dump(mode="json"),
            "total_duration": self.total_duration,
            "tracks": [
                {
                    "scene_index": track.scene_index,
                    "url": urls(track.path),
                    "duration": track.duration,
                    "text": track.text,
                    "words": [w.model_dump(mode="json") for w in track.words],
                    "timing": track.timing,
                }
                for track in self.tracks
            ],
        }


class SoundReport(Model):
    """The final video's sound, measured on the MP4 itself."""

    loudness: LoudnessReport
    channels: int
    sample_rate: int
    bitrate: int
    # How the level was set.
    processing: str


class MusicReport(Model):
    mood: str
    source: str
    # The library file's name and credit (empty for a composed bed).
    file: str = ""
    credit: dict[str, str] = Field(default_factory=dict)
    # Measured on the stems: how far under the voice's speaking level the bed sits.
    under_voice_while_speaking_db: float | None = None
    under_voice_in_pauses_db: float | None = None
    under_voice_during_safety_db: float | None = None


class CaptionFiles(Model):
    mode: Literal["burned", "sidecar", "none"]
    vtt: str | None = None
    srt: str | None = None
    cues: int = 0
    language: str = "en"


class SceneTiming(Model):
    scene_index: int
    start: float
    duration: float


class FormatVideo(Model):
    """One aspect of the final video, when the brief asks for several (`formats`)."""

    aspect: str
    path: str
    width: int
    height: int
    duration: float
    size_bytes: int

    @classmethod
    def of(cls, aspect: str, video: "FinalVideo") -> "FormatVideo":
        return cls(aspect=aspect, path=video.path, width=video.width, height=video.height,
                   duration=video.duration, size_bytes=video.size_bytes)


class FinalVideo(Model):
    path: str
    duration: float
    size_bytes: int
    width: int
    height: int
    fps: int
    video_codec: str
    audio_codec: str
    scenes: list[SceneTiming]
    sound: SoundReport | None = None
    music: MusicReport | None = None
    captions: CaptionFiles | None = None
    # Every aspect made, this video's first, when the brief asks for several.
    formats: list[FormatVideo] = Field(default_factory=list)
    # The fair-balance rules measured on this video, and the script's content rules again.
    compliance: list[RuleResult] = Field(default_factory=list)
    # How much of the picture this render encoded; the rest was joined from chunks already
    # made (encode once: a new voice re-encodes only each scene's last chunk).
    encoded_seconds: float | None = None

    def review_warnings(self) -> list[ReviewWarning]:
        return rule_warnings(self.compliance)

    def client_data(self, urls: FileUrls) -> dict[str, Any]:
        captions = None
        if self.captions is not None:
            captions = {
                **self.captions.model_dump(mode="json", exclude={"vtt", "srt"}),
                "vtt_url": urls(self.captions.vtt) if self.captions.vtt else None,
                "srt_url": urls(self.captions.srt) if self.captions.srt else None,
            }
        return {
            "formats": [
                {**f.model_dump(mode="json", exclude={"path"}), "video_url": urls(f.path)} for f in self.formats
            ],
            "sound": self.sound.model_dump(mode="json") if self.sound else None,
            "music": self.music.model_dump(mode="json") if self.music else None,
            "captions": captions,
            "video_url": urls(self.path),
            "duration": self.duration,
            "size_bytes": self.size_bytes,
            "width": self.width,
            "height": self.height,
            "fps": self.fps,
            "video_codec": self.video_codec,
            "audio_codec": self.audio_codec,
            "scenes": [timing.model_dump(mode="json") for timing in self.scenes],
            "encoded_seconds": self.encoded_seconds,
            "compliance": [rule.model_dump(mode="json") for rule in self.compliance],
            "warnings": [warning.model_dump(mode="json") for warning in self.review_warnings()],
        }


StageOutput = ScenePlan | Script | Visuals | Animations | Voiceover | FinalVideo
