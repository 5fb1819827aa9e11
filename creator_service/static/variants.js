// A branch's versions side by side: a diff for text, thumbnails for clips, players for audio and
// video (the videos play in sync), each with Choose.
import {clear, el, seconds} from './dom.js';

function diffView(runs) {
  return el('p', {class: 'diff'}, ...runs.flatMap((run) => {
    if (run.op === 'equal') return [run.base, ' '];
    const parts = [];
    if (run.base && run.op !== 'insert') parts.push(el('del', {}, run.base), ' ');
    if (run.variant) parts.push(el('ins', {}, run.variant), ' ');
    return parts;
  }));
}

function column(stage, version, facts, data, onChoose) {
  const body = [];
  if (facts.error) {
    body.push(el('p', {class: 'error'}, facts.error));
  } else if (facts.diff) {
    body.push(el('p', {class: 'muted'}, `${facts.word_count} words · ~${seconds(facts.seconds)}`), diffView(facts.diff));
  } else if (facts.word_count !== undefined) {
    body.push(el('p', {class: 'muted'}, `${facts.word_count} words · ~${seconds(facts.seconds)} (under review)`));
  } else if (facts.thumbnails) {
    body.push(el('div', {class: 'thumbs'}, facts.thumbnails.map((t) =>
      el('img', {src: t.thumbnail_url, alt: `v${version}, scene ${t.scene_index + 1}`}))));
  } else if (facts.durations) {
    body.push(el('p', {class: 'muted'}, `${facts.engine} / ${facts.voice} · ${seconds(facts.total_duration)}`),
      ...(data?.tracks ?? []).map((track) => el('audio', {controls: true, preload: 'none', src: track.url,
        'aria-label': `v${version}, scene ${track.scene_index + 1}`})));
  } else if (facts.video_url) {
    body.push(el('video', {class: 'player synced', controls: true, preload: 'metadata', src: facts.video_url,
                           'aria-label': `Final video v${version}`}),
      el('p', {class: 'muted'}, `${seconds(facts.duration)} · ${(facts.size_bytes / 1e6).toFixed(1)} MB`));
  }
  return el('section', {class: 'variant', 'aria-label': `Version ${version}`},
    el('h4', {}, `v${version}${facts.under_review ? ' (under review)' : ''}`), ...body,
    facts.error ? null : el('button', {type: 'button', onclick: () => onChoose(Number(version))}, `Choose v${version}`));
}

// Several final videos: playing, pausing or seeking one does the same to the others.
function syncPlayers(container) {
  const players = [...container.querySelectorAll('video.synced')];
  let busy = false;
  const mirror = (source, apply) => () => {
    if (busy) return;
    busy = true;
    for (const other of players) if (other !== source) apply(other, source);
    busy = false;
  };
  for (const player of players) {
    player.addEventListener('play', mirror(player, (o) => o.play().catch(() => {})));
    player.addEventListener('pause', mirror(player, (o) => o.pause()));
    player.addEventListener('seeked', mirror(player, (o, s) => { o.currentTime = s.currentTime; }));
  }
}

export function renderVariants(container, event, versionsData, onChoose) {
  const columns = Object.entries(event.comparison.versions)
    .map(([version, facts]) => column(event.stage, version, facts, versionsData[version], onChoose));
  clear(container).append(el('h3', {}, `Variants of ${event.stage}`), el('div', {class: 'variant-columns'}, ...columns));
  container.hidden = false;
  syncPlayers(container);
}
