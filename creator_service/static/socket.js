// The Creator Mode protocol over one WebSocket: JSON in, JSON out (see the README).
export class CreatorSocket {
  constructor({onEvent, onOpen, onClose}) {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    this.ws = new WebSocket(`${scheme}://${location.host}/ws/creator`);
    this.attached = true;
    this.ws.addEventListener('open', () => this.attached && onOpen());
    this.ws.addEventListener('message', (message) => this.attached && onEvent(JSON.parse(message.data)));
    this.ws.addEventListener('close', (event) => this.attached && onClose(event));
  }

  // Stop telling the studio about this socket (it is being replaced), and close it.
  detach() {
    this.attached = false;
    this.ws.close();
  }

  send(message) {
    if (this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  close() {
    this.ws.close();
  }
}
