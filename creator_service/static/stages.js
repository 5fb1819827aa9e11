// How each stage is shown for review: what a reviewer needs to judge it, nothing inlined.
import {el, seconds} from './dom.js';

const STAGE_TITLES = {
  scenes: 'Scene plan',
  script: 'Narration',
  visuals: 'Visuals',
  animations: 'Animations',
  tts: 'Voice',
  render: 'Final cut',
};

export function stageTitle(stage) {
  return STAGE_TITLES[stage] ?? stage;
}

function credits(sources) {
  const named = (sources ?? []).filter((s) => s.kind !== 'manim' && s.kind !== 'remotion');
  if (!named.length) return null;
  return el('figcaption', {}, named.map((s) =>
    s.author ? `${s.kind}: ${s.author}${s.license ? ` (${s.license})` : ''}` : s.description).join('; '));
}

// A per-scene regenerate: the reviewer ticks the scenes to redo; the others stay as they are.
function redoBox(index) {
  return el('label', {class: 'redo'},
    el('input', {type: 'checkbox', class: 'redo-scene', value: index}), ` Redo scene ${index + 1} only`);
}

function clipFigure(clip, label) {
  return el('figure', {},
    el('video', {controls: true, preload: 'metadata', poster: clip.thumbnail_url, src: clip.url,
                 'aria-label': `${label}, ${seconds(clip.duration)}`}),
    el('figcaption', {}, `${label} · ${seconds(clip.duration)}`),
    credits(clip.sources),
    label.startsWith('Scene') ? redoBox(clip.scene_index) : null);
}

// What the reviewer must acknowledge before accepting: unsupported claims, failed rules.
function warningsBox(warnings) {
  if (!warnings?.length) return null;
  return el('section', {class: 'warnings', 'aria-label': 'Warnings'},
    el('h4', {}, `${warnings.length} warning${warnings.length === 1 ? '' : 's'} to acknowledge before accepting`),
    el('ul', {}, warnings.map((w) => el('li', {},
      el('strong', {}, w.rule), w.scene != null ? ` · scene ${w.scene + 1}` : '',
      w.text ? ` · “${w.text}”` : '', ` — ${w.detail}`))));
}

// The narration with each claim marked: supported ones name their source on hover.
function narrationWithClaims(text, claims) {
  const parts = [];
  let cursor = 0;
  for (const claim of claims) {
    const at = text.indexOf(claim.text, cursor);
    if (at < 0) continue;
    if (at > cursor) parts.push(text.slice(cursor, at));
    const source = claim.supported
      ? `[${claim.reference_number}] “${claim.quote}”`
      : `Unsupported (${claim.rule}): ${claim.detail}`;
    parts.push(el('mark', {class: `claim ${claim.supported ? 'supported' : 'unsupported'}`, title: source,
                           tabindex: 0, 'aria-label': `${claim.text} (${source})`},
      claim.text, claim.supported ? el('sup', {}, `[${claim.reference_number}]`) : null));
    cursor = at + claim.text.length;
  }
  parts.push(text.slice(cursor));
  return el('p', {}, ...parts);
}

function complianceList(rules) {
  if (!rules?.length) return null;
  return el('ul', {class: 'facts compliance', 'aria-label': 'Compliance checks'}, rules.map((r) =>
    el('li', {class: r.passed ? '' : 'warning', title: JSON.stringify(r.evidence)},
       `${r.passed ? '✓' : '✗'} ${r.rule}${r.evidence?.summary ? `: ${r.evidence.summary}` : ''}`)));
}

const RENDERERS = {
  scenes(data) {
    const plan = data.scenes_data;
    return [
      el('ul', {class: 'facts'},
        el('li', {}, `${data.scene_count} scenes`),
        el('li', {}, `about ${Math.round(plan.total_seconds)} s`),
        el('li', {}, `aspect ${plan.aspect_ratio}`),
        el('li', {}, `planner: ${plan.planner}`)),
      el('div', {class: 'cards'}, plan.scenes.map((scene) =>
        el('article', {class: 'card', 'aria-label': `Scene ${scene.index + 1}`},
          el('p', {class: 'kind'}, `${scene.index + 1} · ${scene.kind}`),
          el('h4', {}, scene.on_screen_text),
          scene.eyebrow ? el('p', {class: 'muted'}, scene.eyebrow) : null,
          scene.bullets?.length ? el('ul', {}, scene.bullets.map((b) => el('li', {}, b))) : null,
          el('p', {}, scene.visual),
          el('p', {class: 'muted'}, `~${seconds(scene.target_seconds)}`),
          scene.media_query ? el('p', {class: 'muted'}, `Footage: “${scene.media_query}”`) : null))),
    ];
  },

  script(data) {
    return [
      el('ul', {class: 'facts'},
        el('li', {}, `${data.total_words} words`),
        el('li', {}, `about ${seconds(data.estimated_seconds)}`),
        el('li', {}, `persona: ${data.script.persona}`),
        el('li', {}, `tone: ${data.script.tone}`),
        data.claims ? el('li', {}, `${data.claims.filter((c) => c.supported).length} of ${data.claims.length} claims supported`) : null),
      warningsBox(data.warnings),
      complianceList(data.compliance),
      el('ol', {class: 'narration'}, data.script.scenes.map((scene) =>
        el('li', {},
          el('p', {class: 'kind'}, `${scene.scene_index + 1} · ${scene.title}`),
          narrationWithClaims(scene.text, (data.claims ?? []).filter((c) => c.scene === scene.scene_index)),
          el('p', {class: 'muted'}, `${scene.word_count} words · ~${seconds(scene.estimated_seconds)}`),
          redoBox(scene.scene_index)))),
    ];
  },

  visuals(data) {
    return [
      el('ul', {class: 'facts'},
        el('li', {}, `${data.clip_count} clips`),
        el('li', {}, `${data.width}×${data.height}, ${data.fps} fps (${data.quality})`),
        el('li', {}, `palette: ${data.palette}`)),
      el('div', {class: 'clips'}, data.clips.map((clip) => clipFigure(clip, `Scene ${clip.scene_index + 1}`))),
    ];
  },

  animations(data) {
    return [
      el('ul', {class: 'facts'},
        el('li', {}, `${data.lower_thirds.length} lower thirds`),
        el('li', {}, `${data.callouts.length} callouts`),
        el('li', {}, data.captions)),
      el('div', {class: 'clips'},
        data.clips.map((clip) => clipFigure(clip, `Scene ${clip.scene_index + 1}`)),
        data.end_card ? clipFigure(data.end_card, 'End card') : null),
    ];
  },

  tts(data) {
    return [
      el('ul', {class: 'facts'},
        el('li', {}, `voice: ${data.engine} (${data.voice})`),
        el('li', {}, `${seconds(data.total_duration)} of speech`),
        data.pace !== 1 ? el('li', {}, `pace ${data.pace}`) : null,
        data.loudness ? el('li', {}, `as spoken: ${data.loudness.integrated_lufs} LUFS, peak ${data.loudness.true_peak_dbtp} dBTP`) : null),
      (data.notes ?? []).map((note) => el('p', {class: 'muted'}, note)),
      el('ol', {class: 'narration'}, data.tracks.map((track) =>
        el('li', {},
          el('p', {class: 'kind'}, `Scene ${track.scene_index + 1} · ${seconds(track.duration)}`),
          el('audio', {controls: true, preload: 'metadata', src: track.url,
                       'aria-label': `Narration of scene ${track.scene_index + 1}`}),
          el('p', {}, track.text),
          redoBox(track.scene_index)))),
    ];
  },

  render(data) {
    const captions = data.captions ?? {mode: 'none'};
    // Sidecar captions play in the player too (burned ones are already in the picture).
    const track = captions.vtt_url && captions.mode === 'sidecar'
      ? el('track', {kind: 'captions', src: captions.vtt_url, srclang: captions.language, label: 'Captions', default: true})
      : null;
    const sound = data.sound?.loudness;
    return [
      el('video', {class: 'player', controls: true, preload: 'metadata', src: data.video_url,
                   'aria-label': 'Final video'}, track),
      el('ul', {class: 'facts'},
        el('li', {}, seconds(data.duration)),
        el('li', {}, `${data.width}×${data.height}, ${data.fps} fps`),
        el('li', {}, `${(data.size_bytes / 1e6).toFixed(1)} MB`),
        el('li', {}, `${data.video_codec} + ${data.audio_codec}`),
        sound ? el('li', {class: sound.within_target ? '' : 'warning'},
                   `${sound.integrated_lufs} LUFS (target ${sound.target_lufs}), peak ${sound.true_peak_dbtp} dBTP`) : null,
        data.music ? el('li', {}, `music: ${data.music.mood} (${data.music.source}), ` +
                                  `${data.music.under_voice_while_speaking_db} dB under the voice`) : null,
        captions.vtt_url ? el('li', {}, `captions (${captions.mode}): `,
                              el('a', {href: captions.vtt_url}, 'WebVTT'), ' · ',
                              el('a', {href: captions.srt_url}, 'SRT')) : null),
      warningsBox(data.warnings),
      complianceList(data.compliance),
    ];
  },
};

export function renderStage(stage, data) {
  const render = RENDERERS[stage];
  // A part with nothing to show (no warnings, no compliance rules) is null: left out, not "null".
  return render ? render(data).filter((part) => part != null) : [el('pre', {}, JSON.stringify(data, null, 2))];
}
