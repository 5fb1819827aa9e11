// The review room: who is here, comments on the version shown (with seek), approvals against the
// stage's policy, the audit trail and the review package. Everything comes from the server:
// presence, comment and approval events on the socket, the rest from GET /videos/{id}/….
import {clear, el} from './dom.js';

export const room = {
  videoId: null,
  policy: {},        // stage -> disciplines that must approve
  signatures: [],    // every approval, as the server recorded it
  comments: [],
};

export async function loadRoom(videoId) {
  room.videoId = videoId;
  const [video, comments] = await Promise.all([
    fetch(`/videos/${videoId}`).then((r) => r.json()),
    fetch(`/videos/${videoId}/comments`).then((r) => r.json()),
  ]);
  room.policy = video.approvals_policy ?? {};
  room.signatures = video.approvals ?? [];
  room.comments = comments.comments ?? [];
  room.forks = video.forks ?? [];
}

export function renderPeople(container, people) {
  clear(container).append('Here now: ', ...people.map((p, i) => el('span', {class: 'person', title: p.role},
    `${i ? ', ' : ''}${p.full_name}${p.discipline ? ` (${p.discipline})` : ` (${p.role})`}`)));
  container.hidden = false;
}

// The policy's status for one version: each discipline approved, rejected or still missing.
export function renderApprovals(container, stage, version) {
  const required = room.policy[stage] ?? [];
  const signed = room.signatures.filter((s) => s.stage === stage && s.version === version);
  clear(container);
  if (!required.length && !signed.length) {
    container.hidden = true;
    return;
  }
  container.hidden = false;
  container.append(el('h4', {}, `Approvals for v${version}`));
  const list = el('ul', {class: 'approvals'});
  for (const discipline of required) {
    const mine = signed.filter((s) => s.discipline === discipline);
    const last = mine.at(-1);
    list.append(el('li', {'data-decision': last ? last.decision : 'missing'},
      `${discipline}: `, last ? `${last.decision.replaceAll('_', ' ')} by ${last.full_name}, ${last.signed_at}` : 'missing'));
  }
  for (const s of signed.filter((x) => !required.includes(x.discipline))) {
    list.append(el('li', {'data-decision': s.decision}, `${s.discipline ?? s.user}: ${s.decision.replaceAll('_', ' ')} by ${s.full_name}`));
  }
  container.append(list);
}

// Comments made on this stage version; a time seeks the player of that scene (or the only one).
export function renderComments(container, stage, version, content) {
  const here = room.comments.filter((c) => c.stage === stage && c.version === version);
  clear(container);
  container.append(el('h4', {}, `Comments on v${version} (${here.length})`));
  const list = el('ul', {class: 'comments'});
  for (const comment of here) {
    const seek = comment.at === null || comment.at === undefined ? null : el('button', {
      type: 'button', class: 'seek', onclick: () => seekTo(content, comment.scene, comment.at),
    }, `▶ ${Number(comment.at).toFixed(1)} s`);
    list.append(el('li', {'data-comment-id': comment.id, class: comment.resolved ? 'resolved' : null},
      el('strong', {}, comment.author), comment.scene === null || comment.scene === undefined ? '' : ` · scene ${comment.scene + 1}`,
      ' ', seek, el('p', {}, comment.text), comment.resolved ? el('p', {class: 'muted'}, `resolved by ${comment.resolved_by}`) : null));
  }
  container.append(list);
}

function seekTo(content, scene, at) {
  const players = [...content.querySelectorAll('video, audio')];
  const player = (scene !== null && scene !== undefined && players[scene]) || players[0];
  if (!player) return;
  player.currentTime = at;
  player.focus();
  player.dataset.seekedTo = String(at);
}

export async function renderAudit(container) {
  let trail;
  try {
    trail = await fetch(`/videos/${room.videoId}/audit`).then((r) => r.json());
  } catch (error) {
    clear(container).append(el('p', {class: 'error'}, `Could not load the audit trail: ${error.message}. Close and open it again.`));
    return;
  }
  clear(container).append(
    el('p', {class: trail.intact ? 'muted' : 'error'},
      trail.intact ? `Chain intact: ${trail.entries.length} entries.` : `Chain BROKEN at entry ${trail.broken_at}.`),
    el('table', {class: 'audit'},
      el('thead', {}, el('tr', {}, ...['#', 'When (UTC)', 'Who', 'What', 'Detail'].map((h) => el('th', {}, h)))),
      el('tbody', {}, ...trail.entries.map((e) => el('tr', {},
        el('td', {}, String(e.seq)), el('td', {}, new Date(e.at * 1000).toISOString().slice(0, 19)),
        el('td', {}, e.actor ?? 'server'), el('td', {}, e.event),
        el('td', {}, [e.detail.stage, e.detail.version ? `v${e.detail.version}` : null, e.detail.feedback ?? e.detail.text ?? e.detail.decision ?? null]
          .filter(Boolean).join(' · ')))))),
    el('p', {}, el('a', {href: `/videos/${room.videoId}/audit?format=csv`}, 'Download as CSV')));
}
