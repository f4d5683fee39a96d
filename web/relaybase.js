// relaybase.js: see docs/client.md
