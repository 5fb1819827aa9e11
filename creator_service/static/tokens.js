// Resume tokens of the Creator sessions this tab started, kept in sessionStorage: they survive a
// reload and a dropped connection, and leave with the tab. The server keeps only their hashes.
const KEY = 'creator-studio.sessions';
const CURRENT = 'creator-studio.current';

function all() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) ?? '{}');
  } catch {
    return {};
  }
}

export function remember(videoId, token) {
  sessionStorage.setItem(KEY, JSON.stringify({...all(), [videoId]: token}));
  sessionStorage.setItem(CURRENT, videoId);
}

export function tokenFor(videoId) {
  return all()[videoId] ?? null;
}

export function forget(videoId) {
  const tokens = all();
  delete tokens[videoId];
  sessionStorage.setItem(KEY, JSON.stringify(tokens));
  if (sessionStorage.getItem(CURRENT) === videoId) sessionStorage.removeItem(CURRENT);
}

export function current() {
  const videoId = sessionStorage.getItem(CURRENT);
  return videoId && tokenFor(videoId) ? videoId : null;
}

export function setCurrent(videoId) {
  sessionStorage.setItem(CURRENT, videoId);
}
