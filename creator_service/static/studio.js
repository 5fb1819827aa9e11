// Creator Studio in the browser: one WebSocket session, every stage reviewed before the next.
import {describeChanges} from './diff.js';
import {clear, el} from './dom.js';
import {clearFieldErrors, collectPayload, renderFields, showFieldErrors} from './form.js';
import {CreatorSocket} from './socket.js';
import {renderStage, stageTitle} from './stages.js';

const $ = (id) => document.getElementById(id);
const MARKS = {pending: '○', running: '◔', review: '●', accepted: '✓', error: '!'};

const state = {
  types: [],
  socket: null,
  session: null,      // {video_id, video_type, stage_order}
  stages: {},         // stage -> {status, versions: [{version, data}], selected, error}
  current: null,      // the stage the pipeline is at
  startedAt: 0,
  timer: null,
  finished: false,
};

function selectedType() {
  return state.types.find((type) => type.name === $('video-type').value);
}

function setConnection(text, lost = false) {
  $('connection').textContent = text;
  $('connection').classList.toggle('lost', lost);
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
  if (state.socket && state.socket.send(message)) return;
  state.socket = new CreatorSocket({
    onOpen: () => { setConnection('Connected'); state.socket.send(message); },
    onEvent,
    onClose,
  });
}

function lockBrief(locked) {
  for (const control of $('brief-form').elements) control.disabled = locked;
}

// ---- events from the server ------------------------------------------------------------------

function onEvent(event) {
  const status = event.status;
  if (status === 'session_started') return onStarted(event);
  if (status === 'stage_running') return onRunning(event);
  if (status === 'stage_progress') return onProgress(event);
  if (status === 'completed') return onCompleted(event);
  if (status === 'error' && event.stage) return onStageError(event);
  if (status === 'error') return onProtocolError(event);
  if (status === 'pipeline_complete') return onComplete(event);
  if (status === 'stopped') return onStopped(event);
}

function onStarted(event) {
  state.session = event;
  state.stages = Object.fromEntries(event.stage_order.map((stage) => [stage, {status: 'pending', versions: [], selected: null}]));
  lockBrief(true);
  $('session').textContent = `Video ${event.video_id} (${event.video_type}).`;
  renderStepper();
  $('review').focus();
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
  const stage = state.stages[event.stage];
  stage.status = 'review';
  stage.versions.push({version: event.version, data: event.data});
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

function onStopped() {
  state.finished = true;
  stopRunning();
  $('actions').hidden = true;
  setConnection('Session stopped');
  $('session').textContent += ' Stopped. Reload the page to start a new video.';
}

function onClose() {
  if (state.finished) return;
  stopRunning();
  setConnection('Connection lost: this session has ended on the server. Reload to start again.', true);
  $('actions').hidden = true;
  if (!state.session) $('start').disabled = false;
  state.socket = null;
}

// ---- review ------------------------------------------------------------------------------

function renderStepper() {
  const list = clear($('stepper'));
  for (const stage of state.session.stage_order) {
    const status = state.stages[stage].status;
    list.append(el('li', {'data-state': status, 'data-mark': MARKS[status], 'aria-current': stage === state.current ? 'step' : null},
      `${stageTitle(stage)}`, el('span', {class: 'visually-hidden'}, ` (${status})`)));
  }
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
  clear($('stage-content')).append(...renderStage(stage, current.data));
  view.hidden = false;
}

function showActions({accept}) {
  $('actions').hidden = false;
  $('accept').hidden = !accept;
  $('feedback').value = '';
  enableActions(true);
}

function enableActions(enabled) {
  for (const id of ['accept', 'regenerate', 'stop']) $(id).disabled = !enabled;
}

function send(message) {
  enableActions(false);
  if (!state.socket || !state.socket.send(message)) onClose();
}

function wireActions() {
  $('accept').addEventListener('click', () => send({action: 'accept'}));
  $('regenerate').addEventListener('click', () => {
    const feedback = $('feedback').value.trim();
    send(feedback ? {action: 'regenerate', feedback} : {action: 'regenerate'});
  });
  $('stop').addEventListener('click', () => send({action: 'stop'}));
}

$('brief-form').addEventListener('submit', onSubmit);
wireActions();
loadTypes().catch((error) => setConnection(`Could not load the video types: ${error}`, true));
