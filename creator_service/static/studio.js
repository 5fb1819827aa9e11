// Creator Studio in the browser: one WebSocket session, every stage reviewed before the next.
// The session lives on the server: after a drop or a reload the studio resumes it with the
// token it keeps in sessionStorage.
import {describeChanges} from './diff.js';
import {clear, el} from './dom.js';
import {clearFieldErrors, collectPayload, renderFields, showFieldErrors} from './form.js';
import {logIn, logOut, whoAmI} from './login.js';
import {CreatorSocket} from './socket.js';
import {loadRoom, renderApprovals, renderAudit, renderComments, renderPeople, room} from './room.js';
import {renderStage, stageTitle} from './stages.js';
import * as tokens from './tokens.js';
import {renderVariants} from './variants.js';
import {loadVideos} from './videos.js';

const RECONNECT_DELAYS_MS = [500, 1000, 2000, 4000, 8000];

const $ = (id) => document.getElementById(id);
const MARKS = {pending: '○', running: '◔', review: '●', accepted: '✓', error: '!', skipped: '⤼'};
// Stages a reviewer can go back to: they have a version and are not running.
const REVISITABLE = new Set(['accepted', 'review', 'error']);

const state = {
  types: [],
  socket: null,
  session: null,      // {video_id, video_type, stage_order}
  stages: {},         // stage -> {status, versions: [{version, data}], selected, error}
  current: null,      // the stage the pipeline is at
  startedAt: 0,
  timer: null,
  finished: false,
  reconnects: 0,      // attempts since the connection was lost
  watching: null,     // video_id of a job being watched (read-only), polled
  watchTimer: null,
};

function selectedType() {
  return state.types.find((type) => type.name === $('video-type').value);
}

function setConnection(text, lost = false) {
  $('connection').textContent = text;
  $('connection').classList.toggle('lost', lost);
}

// A request made in the background (the room, the version tabs, a watched job) that did not get an
// answer: the server is restarting or the network dropped. Said where the reviewer looks, never
// left as an unhandled rejection; the socket's reconnect loads it all again.
function backgroundFailed(what, error) {
  $('background-error').textContent = `Could not load ${what}: ${error.message ?? error}. `
    + 'It loads again when the connection is back.';
  $('background-error').hidden = false;
}

function backgroundLoaded() {
  $('background-error').hidden = true;
}

// ---- the brief ------------------------------------------------------------------------------

async function loadTypes() {
  const response = await fetch('/video-types');
  state.types = (await response.json()).video_types;
  const select = $('video-type');
  for (const type of state.types) select.append(el('option', {value: type.name}, type.label));
  select.value = 'social_media';
  select.addEventListener('change', showType);
  showType();
}

function showType() {
  const type = selectedType();
  renderFields($('fields'), type);
  $('video-type-stages').textContent = `Stages: ${type.stage_order.join(' → ')}`;
}

function onSubmit(event) {
  event.preventDefault();
  const form = $('brief-form');
  clearFieldErrors(form);
  $('form-error').hidden = true;
  const type = selectedType();
  const message = {action: 'start', video_type: type.name, payload: collectPayload(form, type)};
  $('start').disabled = true;
  stopWatching();
  if (state.socket && !state.session && state.socket.send(message)) return;
  connect(message);
}

// A new connection whose first message is `first` (start or resume).
function connect(first) {
  if (state.socket) state.socket.detach();
  state.socket = new CreatorSocket({
    onOpen: () => {
      setConnection(state.reconnects ? 'Reconnected' : 'Connected');
      state.socket.send(first);
    },
    onEvent,
    onClose,
  });
}

// A member of someone else's session attaches to it (no resume token needed).
function join(videoId) {
  stopWatching();
  state.stages = {};
  connect({action: 'join', video_id: videoId});
}

function resume(videoId) {
  const token = tokens.tokenFor(videoId);
  if (!token) return;
  stopWatching();
  connect({action: 'resume', video_id: videoId, resume_token: token});
}

function lockBrief(locked) {
  for (const control of $('brief-form').elements) control.disabled = locked;
}

// ---- events from the server ------------------------------------------------------------------

function onEvent(event) {
  const status = event.status;
  if (status === 'session_started') return onStarted(event);
  if (status === 'session_resumed' || status === 'session_joined') return onResumed(event);
  if (status === 'presence') return renderPeople($('people'), event.people);
  if (status === 'comment') return onRoomChange(() => room.comments.push(event));
  if (status === 'comment_resolved') {
    return onRoomChange(() => Object.assign(room.comments.find((c) => c.id === event.id) ?? {}, {resolved: true, resolved_by: event.by}));
  }
  if (status === 'approval') return onRoomChange(() => room.signatures.push(event));
  if (status === 'stage_skipped') return onSkipped(event);
  if (status === 'variants_ready') return onVariants(event);
  if (status === 'forked') return onForked(event);
  if (status === 'expired') return onStopped(event);
  if (status === 'stage_running') return onRunning(event);
  if (status === 'stage_progress') return onProgress(event);
  if (status === 'completed') return onCompleted(event);
  if (status === 'error' && event.stage) return onStageError(event);
  if (status === 'error') return onProtocolError(event);
  if (status === 'pipeline_complete') return onComplete(event);
  if (status === 'stopped') return onStopped(event);
}

function onStarted(event) {
  tokens.remember(event.video_id, event.resume_token);
  state.session = {video_id: event.video_id, video_type: event.video_type, stage_order: event.stage_order};
  state.stages = Object.fromEntries(event.stage_order.map((stage) => [stage, {status: 'pending', versions: [], selected: null}]));
  lockBrief(true);
  $('session').textContent = `Video ${event.video_id} (${event.video_type}).`;
  $('final').hidden = true;
  $('stage-view').hidden = true;
  renderStepper();
  $('review').focus();
  refreshVideos();
  openRoom(event.video_id);
}

// ---- the review room -------------------------------------------------------------------------

function openRoom(videoId) {
  $('audit-box').hidden = false;
  $('package').hidden = false;
  $('package-link').href = `/videos/${videoId}/review-package`;
  loadRoom(videoId).then(() => {
    backgroundLoaded();
    if (room.forks.length) {
      $('forks').textContent = `Forks of this video: ${room.forks.join(', ')} (in the Videos list).`;
      $('forks').hidden = false;
    }
    if (state.current && state.stages[state.current]?.versions.length) showStage(state.shown ?? state.current);
  }).catch((error) => backgroundFailed('the review room', error));
}

function onRoomChange(change) {
  change();
  if (state.shown && state.stages[state.shown]?.versions.length) showStage(state.shown);
}

function sendComment() {
  const stage = state.shown;
  const info = state.stages[stage];
  const text = $('comment-text').value.trim();
  if (!stage || !text) return;
  const message = {action: 'comment', stage, version: info.selected, text};
  if ($('comment-scene').value !== '') message.scene = Number($('comment-scene').value);
  if ($('comment-at').checked) {
    const player = document.querySelector('#stage-content video, #stage-content audio, #final video');
    message.at = Math.round((player?.currentTime ?? 0) * 10) / 10;
  }
  $('comment-text').value = '';
  if (!state.socket || !state.socket.send(message)) setConnection('Not connected: reconnecting…', true);
}

function sign(decision) {
  const note = $('sign-note').value.trim();
  $('sign-note').value = '';
  const message = note ? {action: 'approve', decision, note} : {action: 'approve', decision};
  if (!state.socket || !state.socket.send(message)) setConnection('Not connected: reconnecting…', true);
}

// Attached again (after a drop, a reload, or from the list): rebuild the stepper from what the
// server says, fetch earlier versions, and let the replayed event show the current stage.
function onResumed(event) {
  const reconnected = state.reconnects > 0;
  state.reconnects = 0;
  state.finished = false;
  tokens.setCurrent(event.video_id);
  state.session = {video_id: event.video_id, video_type: event.video_type, stage_order: event.stage_order};
  const known = state.stages;
  const running = {running: 'running', awaiting_review: 'review', error: 'error'}[event.state];
  state.stages = Object.fromEntries(event.stage_order.map((stage) => {
    let status = event.accepted[stage] ? 'accepted' : 'pending';
    if (stage === event.current_stage && running) status = running;
    return [stage, {status, versions: known[stage]?.versions ?? [], selected: known[stage]?.selected ?? null}];
  }));
  state.current = event.current_stage;
  lockBrief(true);
  $('session').textContent = `Video ${event.video_id} (${event.video_type}).`;
  $('final').hidden = true;
  setConnection(reconnected ? 'Reconnected: the session carried on while you were away'
    : event.status === 'session_joined' ? 'Joined' : 'Resumed');
  renderStepper();
  fillVersions(event.video_id).catch((error) => backgroundFailed('the earlier versions', error));
  openRoom(event.video_id);
}

// Every completed version of every stage, so the version tabs survive a reload.
async function fillVersions(videoId) {
  const response = await fetch(`/videos/${videoId}`);
  if (!response.ok || state.session?.video_id !== videoId) return;
  const video = await response.json();
  for (const [stage, info] of Object.entries(video.stages ?? {})) {
    const target = state.stages[stage];
    if (!target) continue;
    for (const version of info.versions) {
      if (version.data && !target.versions.some((v) => v.version === version.version)) {
        target.versions.push({version: version.version, data: version.data});
      }
    }
    target.versions.sort((a, b) => a.version - b.version);
    target.selected ??= target.versions.at(-1)?.version ?? null;
  }
  if (state.current && state.stages[state.current]?.status === 'review') showStage(state.current);
}

function onRunning(event) {
  const previous = state.current;
  if (previous && previous !== event.stage && state.stages[previous].status === 'review') {
    state.stages[previous].status = 'accepted';
  }
  state.current = event.stage;
  state.stages[event.stage].status = 'running';
  state.startedAt = Date.now();
  clearInterval(state.timer);
  state.timer = setInterval(tick, 1000);
  $('running-label').textContent = `${stageTitle(event.stage)}: version ${event.version} is being made…`;
  setProgress(0, 'starting');
  tick();
  $('running').hidden = false;
  $('stage-error').hidden = true;
  $('actions').hidden = true;
  renderStepper();
}

function tick() {
  $('elapsed').textContent = `(${Math.round((Date.now() - state.startedAt) / 1000)} s)`;
}

function setProgress(fraction, detail) {
  const percent = Math.round(fraction * 100);
  $('progress').setAttribute('aria-valuenow', String(percent));
  $('progress').setAttribute('aria-valuetext', `${percent}%: ${detail}`);
  $('progress').querySelector('.fill').style.width = `${percent}%`;
  $('progress-detail').textContent = detail;
}

function onProgress(event) {
  if (event.stage === state.current) setProgress(event.progress, event.detail);
}

function stopRunning() {
  clearInterval(state.timer);
  $('running').hidden = true;
}

function onCompleted(event) {
  stopRunning();
  if (state.current !== event.stage) $('variants').hidden = true;
  const stage = state.stages[event.stage];
  state.current = event.stage;
  stage.status = 'review';
  stage.reused = Boolean(event.data.reused);
  // Back at an earlier stage (goto): what follows will be offered again or made again.
  const order = state.session.stage_order;
  for (const earlier of order.slice(0, order.indexOf(event.stage))) {
    if (state.stages[earlier].status === 'review') state.stages[earlier].status = 'accepted';
  }
  for (const later of order.slice(order.indexOf(event.stage) + 1)) {
    if (REVISITABLE.has(state.stages[later].status)) state.stages[later].status = 'pending';
  }
  // A replay after a resume repeats a version the tabs may already hold.
  stage.versions = stage.versions.filter((v) => v.version !== event.version);
  stage.versions.push({version: event.version, data: event.data});
  stage.versions.sort((a, b) => a.version - b.version);
  stage.selected = event.version;
  renderStepper();
  showStage(event.stage);
  showActions({accept: true});
}

function onStageError(event) {
  stopRunning();
  state.stages[event.stage].status = 'error';
  renderStepper();
  const box = clear($('stage-error'));
  box.append(
    el('h3', {}, `${stageTitle(event.stage)} (version ${event.version}) failed`),
    el('p', {}, event.error),
    el('p', {class: 'muted'}, 'Regenerate to try again (feedback helps), or stop.'),
  );
  box.hidden = false;
  showActions({accept: false});
  $('regenerate').focus();
}

function onProtocolError(event) {
  if (event.code === 'session_not_found') {
    const videoId = tokens.current();
    if (videoId) tokens.forget(videoId);
    state.session = null;
    state.reconnects = 0;
    lockBrief(false);
    $('start').disabled = false;
    setConnection('That session can no longer be resumed (it ended or expired). Start a new video.', true);
    refreshVideos();
    return;
  }
  if (!state.session) {
    $('start').disabled = false;
    const shown = event.fields && showFieldErrors($('brief-form'), event.fields);
    if (!shown) {
      $('form-error').textContent = event.error;
      $('form-error').hidden = false;
    }
    return;
  }
  setConnection(`The server refused that: ${event.error}`);
  enableActions(true);
}

function onComplete(event) {
  state.finished = true;
  refreshVideos();
  for (const stage of Object.values(state.stages)) stage.status = 'accepted';
  renderStepper();
  $('actions').hidden = true;
  // The finished video replaces the render stage's preview: one player, with its download.
  $('stage-view').hidden = true;
  const final = clear($('final'));
  final.append(
    el('h3', {}, 'Your video is ready'),
    el('video', {id: 'final-video', class: 'player', controls: true, preload: 'metadata', src: event.video_url,
                 'aria-label': 'The finished video'}),
    el('p', {}, el('a', {href: event.video_url, download: `${event.video_id}.mp4`}, 'Download the MP4'),
      ` · ${event.message}`),
  );
  final.hidden = false;
  final.querySelector('video').focus();
}

function onStopped(event) {
  state.finished = true;
  if (event.video_id) tokens.forget(event.video_id);
  stopRunning();
  $('actions').hidden = true;
  setConnection(event.status === 'expired' ? 'Session expired' : 'Session stopped');
  $('session').textContent += ` ${event.status === 'expired' ? 'Expired' : 'Stopped'}. Reload the page to start a new video.`;
  refreshVideos();
}

// The session lives on in the server: try to attach again, more slowly each time.
function onClose() {
  state.socket = null;
  if (state.finished) return;
  $('actions').hidden = true;
  const videoId = state.session?.video_id;
  if (!videoId || !tokens.tokenFor(videoId)) {
    stopRunning();
    setConnection('Connection lost. Reload to start again.', true);
    $('start').disabled = false;
    return;
  }
  const delay = RECONNECT_DELAYS_MS[Math.min(state.reconnects, RECONNECT_DELAYS_MS.length - 1)];
  state.reconnects += 1;
  setConnection(`Connection lost: reconnecting in ${Math.round(delay / 100) / 10} s (attempt ${state.reconnects})…`, true);
  setTimeout(() => resume(videoId), delay);
}

// ---- review ------------------------------------------------------------------------------

function renderStepper() {
  const list = clear($('stepper'));
  const running = Object.values(state.stages).some((s) => s.status === 'running');
  for (const stage of state.session.stage_order) {
    const info = state.stages[stage];
    const status = info.status;
    const label = [`${stageTitle(stage)}`, info.reused ? el('span', {class: 'badge'}, 'reused') : null,
                   el('span', {class: 'visually-hidden'}, ` (${status})`)];
    // A finished stage is a button: back to it, to regenerate or accept it again (goto).
    const canGo = state.socket && !running && !state.watching && REVISITABLE.has(status) && info.versions.length;
    const content = canGo
      ? el('button', {type: 'button', class: 'step', title: `Go back to ${stageTitle(stage)}`,
                      // Named for what it does ("accepted" would also answer to "Accept").
                      'aria-label': `Go back to ${stageTitle(stage)}${info.reused ? ' (reused)' : ''}`,
                      onclick: () => send({action: 'goto', stage})}, ...label)
      : label;
    list.append(el('li', {'data-state': status, 'data-mark': MARKS[status],
                          'aria-current': stage === state.current ? 'step' : null}, content));
  }
  const type = state.types.find((t) => t.name === state.session.video_type);
  const optional = (type?.optional_stages ?? []).includes(state.current);
  $('skip').hidden = !optional || Boolean(state.watching);
}

function onVariants(event) {
  const info = state.stages[event.stage];
  // The version under review stays the one the branch began from.
  const base = event.comparison.base_version;
  if (base !== null) info.selected = base;
  info.status = 'review';
  renderStepper();
  showStage(event.stage);
  showActions({accept: base !== null});
  const data = Object.fromEntries(info.versions.map((v) => [String(v.version), v.data]));
  renderVariants($('variants'), event, data, (version) => send({action: 'choose', version}));
}

function onForked(event) {
  tokens.remember(event.video_id, event.resume_token);
  tokens.setCurrent(event.from);  // this tab stays on the original
  $('forks').textContent = `Forked into ${event.video_id}: open it from the Videos list (Review).`;
  $('forks').hidden = false;
  enableActions(true);
  refreshVideos();
}

function onSkipped(event) {
  stopRunning();
  state.stages[event.stage].status = 'skipped';
  state.stages[event.stage].reused = false;
  renderStepper();
}

function showStage(stage) {
  const info = state.stages[stage];
  const view = $('stage-view');
  $('stage-title').textContent = stageTitle(stage);
  const tabs = clear($('versions'));
  for (const {version} of info.versions) {
    tabs.append(el('button', {type: 'button', role: 'tab', 'aria-selected': String(version === info.selected),
                              onclick: () => { info.selected = version; showStage(stage); }}, `v${version}`));
  }
  const index = info.versions.findIndex((v) => v.version === info.selected);
  const current = info.versions[index];
  const changes = clear($('changes'));
  if (index > 0) {
    changes.append(el('h4', {}, `What changed since v${info.versions[index - 1].version}`),
                   ...describeChanges(stage, info.versions[index - 1].data, current.data));
    changes.hidden = false;
  } else {
    changes.hidden = true;
  }
  const notice = info.reused && index === info.versions.length - 1
    ? [el('p', {class: 'notice'}, `Offered again: nothing this stage reads has changed since version ${current.version} was made.`)]
    : [];
  clear($('stage-content')).append(...notice, ...renderStage(stage, current.data));
  view.hidden = false;
  state.shown = stage;
  // Warnings on the version under review must be acknowledged before Accept is taken.
  const warnings = stage === state.current ? (info.versions.at(-1)?.data?.warnings ?? []) : [];
  $('acknowledge-box').hidden = warnings.length === 0;
  $('acknowledge').checked = false;
  $('acknowledge-text').textContent =
    `I have read the ${warnings.length} warning${warnings.length === 1 ? '' : 's'} above and accept this version anyway`;
  renderApprovals($('approvals'), stage, current.version);
  renderComments($('comments'), stage, current.version, $('stage-content'));
  // Reviewers sign the version under review (the server checks their role on this video).
  const signer = ['reviewer', 'admin'].includes(state.user?.role);
  $('signing').hidden = !(signer && stage === state.current && info.status === 'review'
                          && current.version === info.versions.at(-1).version && !state.watching);
  $('comment-form').hidden = Boolean(state.watching) || state.user?.role === 'viewer';
  const scenes = state.stages.scenes?.versions.at(-1)?.data?.scenes_data?.scenes ?? [];
  clear($('comment-scene')).append(el('option', {value: ''}, 'the whole stage'),
    ...scenes.map((s) => el('option', {value: s.index}, `scene ${s.index + 1}: ${s.on_screen_text}`)));
}

function showActions({accept}) {
  $('actions').hidden = false;
  $('accept').hidden = !accept;
  $('feedback').value = '';
  enableActions(true);
}

function enableActions(enabled) {
  for (const id of ['accept', 'regenerate', 'skip', 'stop']) $(id).disabled = !enabled;
}

function send(message) {
  enableActions(false);
  if (!state.socket || !state.socket.send(message)) setConnection('Not connected: reconnecting…', true);
}

// ---- the videos list, and watching a job ---------------------------------------------------

function refreshVideos() {
  loadVideos($('videos'), {onReview: resume, onWatch: watch, onJoin: join})
    .catch((error) => { $('videos').textContent = `Could not load the videos: ${error}`; });
}

function stopWatching() {
  clearTimeout(state.watchTimer);
  state.watching = null;
}

// A job, or a Creator session this tab has no token for: shown read-only, refreshed until it ends.
async function watch(videoId) {
  stopWatching();
  if (state.socket) {
    // Leave the session under review (it goes on in the server; Review in the list comes back).
    state.socket.detach();
    state.socket = null;
    stopRunning();
  }
  state.watching = videoId;
  let video;
  try {
    const response = await fetch(`/videos/${videoId}`);
    if (!response.ok || state.watching !== videoId) return;
    video = await response.json();
  } catch (error) {
    // Still watching: try again on the usual refresh.
    backgroundFailed(`video ${videoId}`, error);
    if (state.watching === videoId) state.watchTimer = setTimeout(() => watch(videoId), 2000);
    return;
  }
  backgroundLoaded();
  const order = video.stage_order;
  state.session = {video_id: video.video_id, video_type: video.video_type, stage_order: order};
  state.stages = Object.fromEntries(order.map((stage) => {
    const info = video.stages[stage] ?? {versions: [], accepted_version: null};
    const versions = info.versions.filter((v) => v.data).map((v) => ({version: v.version, data: v.data}));
    const status = info.accepted_version ? 'accepted' : stage === video.current_stage ? 'running' : 'pending';
    return [stage, {status, versions, selected: info.accepted_version ?? versions.at(-1)?.version ?? null}];
  }));
  lockBrief(false);
  $('start').disabled = false;
  $('session').textContent = `Watching ${video.mode === 'auto' ? 'job' : 'session'} ${video.video_id} `
    + `(${video.video_type}): ${video.state}${video.current_stage ? `, at ${video.current_stage}` : ''}.`;
  $('actions').hidden = true;
  renderStepper();
  const shown = [...order].reverse().find((stage) => state.stages[stage].versions.length);
  if (shown) showStage(shown);
  const final = clear($('final'));
  final.hidden = !video.video_url;
  if (video.video_url) {
    final.append(el('h3', {}, 'The finished video'),
      el('video', {class: 'player', controls: true, preload: 'metadata', src: video.video_url,
                   'aria-label': 'The finished video'}));
  }
  if (['queued', 'running', 'awaiting_review', 'error'].includes(video.state)) {
    state.watchTimer = setTimeout(() => watch(videoId), 2000);
  }
}

function wireActions() {
  $('accept').addEventListener('click', () => send(
    $('acknowledge-box').hidden ? {action: 'accept'} : {action: 'accept', acknowledge_warnings: $('acknowledge').checked}));
  $('skip').addEventListener('click', () => send({action: 'skip'}));
  $('fork').addEventListener('click', () => send({action: 'fork'}));
  $('branch').addEventListener('click', () => {
    const lines = $('branch-feedback').value.split('\n').map((line) => line.trim()).filter(Boolean);
    if (lines.length < 2 || lines.length > 4) {
      setConnection('Give 2 to 4 variants, one per line.', true);
      return;
    }
    $('variants').hidden = true;
    send({action: 'branch', variants: lines.map((feedback) => ({feedback}))});
  });
  $('comment-send').addEventListener('click', sendComment);
  $('approve').addEventListener('click', () => sign('approved'));
  $('approve-changes').addEventListener('click', () => sign('approved_with_changes'));
  $('reject').addEventListener('click', () => sign('rejected'));
  $('audit-box').addEventListener('toggle', () => { if ($('audit-box').open) renderAudit($('audit')); });
  $('regenerate').addEventListener('click', () => {
    const feedback = $('feedback').value.trim();
    const message = feedback ? {action: 'regenerate', feedback} : {action: 'regenerate'};
    // Ticked scene cards: redo those scenes only.
    const scenes = [...document.querySelectorAll('#stage-content .redo-scene:checked')].map((box) => Number(box.value));
    if (scenes.length) message.scenes = scenes;
    send(message);
  });
  $('stop').addEventListener('click', () => send({action: 'stop'}));
}

$('brief-form').addEventListener('submit', onSubmit);
wireActions();
// ---- signing in ------------------------------------------------------------------------------

function showUser(user) {
  state.user = user;
  // Reviewers and viewers do not run the pipeline: the studio does not offer them its buttons.
  document.body.dataset.role = user.role;
  $('whoami-name').textContent = `${user.full_name} (${user.role}${user.discipline ? `, ${user.discipline}` : ''})`;
  $('whoami').hidden = false;
  $('login').hidden = true;
  $('main').hidden = false;
}

function askToSignIn() {
  $('main').hidden = true;
  $('whoami').hidden = true;
  $('login').hidden = false;
  $('login-token').focus();
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('login-error').hidden = true;
  try {
    const user = await logIn($('login-token').value.trim());
    $('login-token').value = '';
    showUser(user);
    openStudio();
  } catch (error) {
    $('login-error').textContent = error.message;
    $('login-error').hidden = false;
    $('login-token').setAttribute('aria-invalid', 'true');
  }
});

$('logout').addEventListener('click', async () => {
  try {
    await logOut();
    location.reload();
  } catch (error) {
    setConnection(`Could not sign out: ${error.message}`, true);
  }
});

let opened = false;

function openStudio() {
  if (opened) return;
  opened = true;
  loadTypes()
    .then(() => {
      refreshVideos();
      // A reload in the middle of a review: carry on where this tab was.
      const videoId = tokens.current();
      if (videoId) resume(videoId);
    })
    .catch((error) => setConnection(`Could not load the video types: ${error}`, true));
}

whoAmI().then((user) => {
  if (!user) return askToSignIn();
  showUser(user);
  openStudio();
}).catch((error) => setConnection(`Could not reach the server: ${error.message}. Reload to try again.`, true));
