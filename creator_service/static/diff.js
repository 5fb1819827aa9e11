// What changed between two versions of a stage, for the reviewer.
import {el} from './dom.js';

// Word-level diff (longest common subsequence): <del> for removed words, <ins> for new ones.
export function wordDiff(before, after) {
  const a = before.split(/\s+/).filter(Boolean);
  const b = after.split(/\s+/).filter(Boolean);
  const table = Array.from({length: a.length + 1}, () => new Array(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      table[i][j] = a[i] === b[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
    }
  }
  const parts = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) { parts.push(a[i]); i++; j++; }
    else if (j < b.length && (i >= a.length || table[i][j + 1] >= table[i + 1][j])) { parts.push(el('ins', {}, b[j])); j++; }
    else { parts.push(el('del', {}, a[i])); i++; }
    parts.push(' ');
  }
  return parts;
}

function feedbackLine(data) {
  const reading = data.feedback ?? data.script?.feedback ?? data.scenes_data?.feedback;
  if (!reading || (!reading.feedback && !(reading.understood ?? []).length)) return [];
  const lines = [];
  if (reading.feedback) lines.push(el('p', {}, `Your feedback: “${reading.feedback}”`));
  if ((reading.understood ?? []).length) lines.push(el('p', {}, `Understood: ${reading.understood.join(', ')}`));
  for (const note of reading.notes ?? []) lines.push(el('p', {class: 'muted'}, note));
  return lines;
}

export function describeChanges(stage, previous, current) {
  const items = [...feedbackLine(current)];
  if (stage === 'scenes') {
    const before = previous.scenes_data.scenes.map((s) => s.kind);
    const after = current.scenes_data.scenes.map((s) => s.kind);
    const added = after.filter((kind) => !before.includes(kind));
    const removed = before.filter((kind) => !after.includes(kind));
    items.push(el('p', {}, `Scenes: ${before.length} → ${after.length}` +
      (added.length ? `; added ${added.join(', ')}` : '') + (removed.length ? `; removed ${removed.join(', ')}` : '')));
  } else if (stage === 'script') {
    items.push(el('p', {}, `Words: ${previous.total_words} → ${current.total_words}`));
    const old = new Map(previous.script.scenes.map((s) => [s.scene_index, s.text]));
    for (const scene of current.script.scenes) {
      const before = old.get(scene.scene_index);
      if (before !== undefined && before !== scene.text) {
        items.push(el('p', {class: 'diff'}, el('strong', {}, `Scene ${scene.scene_index + 1}: `), wordDiff(before, scene.text)));
      }
    }
  } else if (stage === 'visuals' && previous.palette !== current.palette) {
    items.push(el('p', {}, `Palette: ${previous.palette} → ${current.palette}`));
  } else if (stage === 'tts' && previous.pace !== current.pace) {
    items.push(el('p', {}, `Pace: ${previous.pace} → ${current.pace}`));
  }
  return items;
}
