// The list of videos (Creator sessions and automated jobs, newest first), from GET /videos.
import {clear, el} from './dom.js';
import {tokenFor} from './tokens.js';

const STATE_WORDS = {
  queued: 'queued', running: 'running', awaiting_review: 'awaiting review', error: 'stage failed',
  complete: 'complete', stopped: 'stopped', expired: 'expired', failed: 'failed', cancelled: 'cancelled',
};

export async function loadVideos(list, {onReview, onWatch, onJoin}) {
  const response = await fetch('/videos?limit=50');
  if (!response.ok) throw new Error(`GET /videos answered ${response.status}`);
  const {videos} = await response.json();
  clear(list);
  if (!videos.length) {
    list.append(el('li', {class: 'muted'}, 'No videos yet.'));
    return;
  }
  for (const video of videos) {
    const when = new Date(video.created_at * 1000).toLocaleString();
    const stage = video.current_stage ? ` · ${video.current_stage}` : '';
    const reviewable = video.mode === 'creator' && tokenFor(video.video_id)
      && !['stopped', 'expired', 'cancelled', 'failed'].includes(video.state);
    const joinable = video.mode === 'creator' && !reviewable
      && ['running', 'awaiting_review', 'error', 'complete'].includes(video.state);
    const button = reviewable
      ? el('button', {type: 'button', onclick: () => onReview(video.video_id)}, 'Review')
      : joinable
        ? el('button', {type: 'button', onclick: () => onJoin(video.video_id)}, 'Join')
        : el('button', {type: 'button', onclick: () => onWatch(video.video_id)}, 'Watch');
    list.append(el('li', {'data-video-id': video.video_id, 'data-state': video.state},
      el('span', {class: 'kind'}, video.mode === 'auto' ? 'job' : 'creator'),
      ` ${video.video_type} `,
      el('strong', {}, STATE_WORDS[video.state] ?? video.state),
      el('span', {class: 'muted'}, `${stage} · ${when} · ${video.video_id}`),
      ' ', button));
  }
}
