// Webhook event handlers, one per event type.
const { execFile, exec } = require('child_process');
const fetch = require('node-fetch');

function onDeploy(payload) {
  execFile('/usr/local/bin/deploy', ['--ref', payload.ref]); // tavo-label: safe command-injection
}

function onArchive(payload) {
  exec(`tar czf /archives/${payload.name}.tgz /srv/data`); // tavo-label: vuln command-injection
}

const EVENTS = {
  deploy: onDeploy,
  archive: onArchive,
  notify: (payload) => fetch(payload.callbackUrl, { method: 'POST' }), // tavo-label: vuln ssrf
};

const FORMATTERS = {
  text: (payload) => String(payload.message),
  upper: (payload) => String(payload.message).toUpperCase(),
};

module.exports = { EVENTS, FORMATTERS };
