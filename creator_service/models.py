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

    def client_data(self, urls: FileUrls) -> dict[str, Any]:
        return {
            "script": self.model_dump(mode="json"),
            "scene_count": len(self.scenes),
            "total_words": self.total_words,
            "estimated_seconds": self.estimated_seconds,
        }


class MediaCredit(Model):
    """Where an asset came from, for attribution and for the reviewer's audit trail."""

    kind: Literal["manim", "generated", "library", "pexels", "remotion"]
    description: str
    author: str | None = None
    url: str | None = None
    license: str | None = None


class Clip(Model):
    scene_index: int
    path: str
    thumbnail: str
    duration: float
    width: int
    height: int
    fps: int
    sources: list[MediaCredit] = Field(default_factory=list)


class Visuals(Model):
    quality: str
    width: int
    height: int
    fps: int
    aspect_ratio: str
    palette: str
    clips: list[Clip]
    feedback: FeedbackReading = Field(default_factory=FeedbackReading)

    def client_data(self, urls: FileUrls) -> dict[str, Any]:
        return {
            "quality": self.quality,
            "palette": self.palette,
            "feedback": self.feedback.model_dump(mode="json"),
            "width": self.width,
            "height": self.height,
            "fps": self.fps,
            "aspect_ratio": self.aspect_ratio,
            "clip_count": len(self.clips),
            "clips": [
                {
                    "scene_index": clip.scene_index,
                    "url": urls(clip.path),
                    "thumbnail_url": urls(clip.thumbnail),
                    "duration": clip.duration,
                    "width": clip.width,
                    "height": clip.height,
                    "fps": clip.fps,
                    "sources": [source.model_dump(mode="json") for source in clip.sources],
                }
                for clip in self.clips
            ],
        }


class AudioTrack(Model):
    scene_index: int
    path: str
    duration: float
    sample_rate: int
    text: str


class Voiceover(Model):
    engine: str
    voice: str
    sample_rate: int
    tracks: list[AudioTrack]
    total_duration: float
    # Why a preferred voice did not speak, when a fallback did.
    notes: list[str] = Field(default_factory=list)

    def client_data(self, urls: FileUrls) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "voice": self.voice,
            "notes": self.notes,
            "total_duration": self.total_duration,
            "tracks": [
                {
                    "scene_index": track.scene_index,
                    "url": urls(track.path),
                    "duration": track.duration,
                    "text": track.text,
                }
                for track in self.tracks
            ],
        }


class SceneTiming(Model):
    scene_index: int
    start: float
    duration: float


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

    def client_data(self, urls: FileUrls) -> dict[str, Any]:
        return {
            "video_url": urls(self.path),
            "duration": self.duration,
            "size_bytes": self.size_bytes,
            "width": self.width,
            "height": self.height,
            "fps": self.fps,
            "video_codec": self.video_codec,
            "audio_codec": self.audio_codec,
            "scenes": [timing.model_dump(mode="json") for timing in self.scenes],
        }


StageOutput = ScenePlan | Script | Visuals | Voiceover | FinalVideo
