// Signing in: the API token is traded once for the server's HttpOnly login cookie, which this
// page cannot read and other sites' pages cannot send. Every request and the WebSocket carry it.
export async function whoAmI() {
  const response = await fetch('/me');
  return response.ok ? response.json() : null;
}

export async function logIn(token) {
  const response = await fetch('/login', {
    method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({token}),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ?? `sign-in failed (${response.status})`);
  return body;
}

export async function logOut() {
  await fetch('/logout', {method: 'POST'});
}
