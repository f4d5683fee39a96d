// The official SDK as an app runs it, in a Node process of its own: started with
// NODE_EXTRA_CA_CERTS naming the test's certificate authority (Node reads it only at
// start), so that TLS to https://localhost and wss://localhost is verified against it like
// any public certificate. Nothing is rewritten: the SDK builds wss://localhost/rt/<canonical>
// itself, on port 443. Node 20 has no WebSocket global, so the `ws` package is that global,
// as it is; it verifies certificates as Node's https does.
//
//   node sdk-tls-child.cjs <canonical> <channel> <text>
//
// It joins <channel>, posts <text> through the SDK's HTTP client (POST /api:chat/messages),
// waits for the event to come back over wss, and prints one JSON line of what happened.
'use strict';

const WS = require('ws');
const opened = []; // the URLs the SDK asked for, recorded, not changed
globalThis.WebSocket = class extends WS {
  constructor(url, protocols) {
    super(url, protocols);
    opened.push(String(url));
    // A browser reports a failed connection as an event and goes on; an EventEmitter with
    // no 'error' listener would throw instead. The SDK listens for close, which follows.
    this.on('error', () => {});
  }
};
const { XanoNodeClient } = require('@xano/js-sdk');

const [canonical, channelName, text] = process.argv.slice(2);
const fail = (err) => {
  process.stdout.write(JSON.stringify({ error: String(err && err.stack || err) }) + '\n');
  process.exit(1);
};
const timer = setTimeout(() => fail(new Error('no event within 20 s')), 20000);

(async () => {
  const client = new XanoNodeClient({
    instanceBaseUrl: 'https://localhost',
    apiGroupBaseUrl: 'https://localhost/api:chat',
    realtimeConnectionCanonical: canonical,
  });
  const channel = client.channel(channelName);
  const seen = { statuses: [], joined: false };
  const joined = new Promise((resolve) => {
    channel.on((frame) => {
      if (frame.action === 'connection_status') seen.statuses.push(frame.payload.status);
      if (frame.action === 'join') { seen.joined = true; resolve(); }
      if (frame.action === 'event' && frame.payload && frame.payload.text === text) {
        clearTimeout(timer);
        process.stdout.write(JSON.stringify({ ...seen, event: frame.payload, opened }) + '\n');
        channel.destroy();
        process.exit(0);
      }
    }, (err) => fail(new Error('channel error: ' + JSON.stringify(err))));
  });
  await joined;
  const res = await client.post('/messages', { channel: channelName, text, author: 'TLS' });
  seen.posted = res.getBody();
})().catch(fail);
