// The Creator Mode protocol over one WebSocket: JSON in, JSON out (see the README).
export class CreatorSocket {
  constructor({onEvent, onOpen, onClose}) {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    this.ws = new WebSocket(`${scheme}://${location.host}/ws/creator`);
    this.ws.addEventListener('open', () => onOpen());
    this.ws.addEventListener('message', (message) => onEvent(JSON.parse(message.data)));
    this.ws.addEventListener('close', (event) => onClose(event));
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
