// Checks that the Node test toolchain is wired: the packages of package-lock.json are
// installed at the versions the conformance tests are written against. The conformance
// tests themselves live beside this file.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');

function installedVersion(name) {
  const file = path.join(root, 'node_modules', ...name.split('/'), 'package.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')).version;
}

test('@xano/js-sdk is installed at 3.0.1, the version we conform to', () => {
  assert.equal(installedVersion('@xano/js-sdk'), '3.0.1');
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  assert.equal(pkg.dependencies['@xano/js-sdk'], '3.0.1', 'package.json must pin the SDK exactly');
});

test('the SDK loads and exposes its client classes', () => {
  const sdk = require('@xano/js-sdk');
  assert.equal(typeof sdk.XanoClient, 'function');
  assert.equal(typeof sdk.XanoNodeClient, 'function');
});

test('ws and playwright-core load', () => {
  assert.equal(typeof require('ws').WebSocketServer, 'function');
  assert.equal(typeof require('playwright-core').chromium.launch, 'function');
});
