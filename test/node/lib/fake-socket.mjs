// An in-memory stand-in for a WebSocket, for testing relaybase.js's own rules (presence,
// offsets, backoff) without a server. The test plays the server: open(), receive(), close().

/** Returns a fresh FakeSocket class whose instances are listed in `.instances`. */
export function fakeSocketClass() {
  return class FakeSocket {
    static instances = [];
    static get last() { return FakeSocket.instances[FakeSocket.instances.length - 1]; }

    constructor(url, protocols) {
      this.url = url;
      this.protocols = protocols;
      this.readyState = 0;
      this.sent = [];
      this.closedWith = null;
      this.listeners = {};
      FakeSocket.instances.push(this);
    }

    addEventListener(type, fn) { (this.listeners[type] ||= []).push(fn); }
    send(data) {
      if (this.readyState !== 1) throw new Error("send on a socket that is not open");
      this.sent.push(JSON.parse(data));
    }
    close(code) { this.readyState = 3; this.closedWith = code; }

    // The server's side.
    open() { this.readyState = 1; this.emit("open", {}); }
    receive(frame) { this.emit("message", { data: JSON.stringify(frame) }); }
    serverClose(code, reason = "") { this.readyState = 3; this.emit("close", { code, reason }); }
    emit(type, ev) { for (const fn of this.listeners[type] || []) fn(ev); }
    /** Frames the client sent with this action. */
    sentOf(action) { return this.sent.filter((f) => f.action === action); }
  };
}
