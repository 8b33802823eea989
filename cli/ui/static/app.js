// The dashboard's only script (served from /static/, the CSP allows no other): live fragments and
// decisions signed in the page. The approver's key is read from the chosen file, imported into WebCrypto
// as a non-extractable Ed25519 key, and never sent: requests carry the signature only.
'use strict';

const LIVE_MS = 2000;

/** Elements with data-live="<url>" are refreshed from the server's fragment at that URL. */
function startLive() {
  for (const el of document.querySelectorAll('[data-live]')) {
    const refresh = async () => {
      try {
        const res = await fetch(el.dataset.live, { cache: 'no-store', headers: { Accept: 'text/html' } });
        if (res.ok) {
          el.innerHTML = await res.text();
          updateControls();
        }
      } catch {
        // the server is restarting or gone: try again at the next tick
      }
    };
    setInterval(refresh, LIVE_MS);
  }
}

/** Approve and reject only while the pipeline waits; abort while it runs (the fragment says which). */
function updateControls() {
  const summary = document.querySelector('#live .summary');
  const decide = document.getElementById('decide');
  if (!summary || !decide) return;
  const waiting = summary.dataset.waiting === 'true';
  decide.hidden = summary.dataset.running !== 'true';
  for (const b of decide.querySelectorAll('button.approve, button.reject')) b.disabled = !waiting;
}

// An airlock key file (cli/keys.ts) is the 32-byte ed25519 seed as 64 hex digits. WebCrypto imports
// private keys as PKCS#8: this fixed DER prefix (RFC 8410) followed by the seed.
const PKCS8_PREFIX = '302e020100300506032b657004220420';

const hexToBytes = (hex) => new Uint8Array(hex.match(/../g).map((b) => parseInt(b, 16)));
const bytesToHex = (bytes) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');

let signingKey = null;

async function loadKey(file) {
  // browsers offer WebCrypto only to secure contexts: https, or http on 127.0.0.1 / localhost
  if (!window.isSecureContext || !crypto.subtle) throw new Error('this browser offers no WebCrypto on this address: open the dashboard at http://127.0.0.1 (an SSH tunnel for a remote one) or behind HTTPS');
  const text = (await file.text()).trim();
  if (!/^[0-9a-f]{64}$/.test(text)) throw new Error(`${file.name} is not an airlock key file (64 hex digits, from airlock keys create)`);
  return crypto.subtle.importKey('pkcs8', hexToBytes(PKCS8_PREFIX + text), { name: 'Ed25519' }, false, ['sign']);
}

function startDecide() {
  const form = document.getElementById('decide-form');
  if (!form) return;
  const pipelineId = document.getElementById('decide').dataset.pipeline;
  const keyInput = document.getElementById('key-file');
  const keyStatus = document.getElementById('key-status');
  const approver = document.getElementById('approver');
  const comment = document.getElementById('comment');
  const result = document.getElementById('decide-result');

  keyInput.addEventListener('change', async () => {
    signingKey = null;
    keyStatus.textContent = '';
    keyStatus.className = 'small';
    const file = keyInput.files[0];
    if (!file) return;
    try {
      signingKey = await loadKey(file);
      // the file is named after the identity (<identity>.ed25519): a default the approver can change
      if (!approver.value) approver.value = file.name.replace(/\.ed25519$/, '');
      keyStatus.textContent = `key loaded from ${file.name}; it stays in this page`;
      keyStatus.className = 'small ok';
    } catch (err) {
      keyStatus.textContent = err.message;
      keyStatus.className = 'small bad';
    }
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const decision = event.submitter ? event.submitter.value : 'approve';
    result.className = '';
    if (!signingKey) return show('bad', 'load your key file first');
    if (!approver.value.trim()) return show('bad', 'enter your approver id');
    if (decision !== 'approve' && !comment.value.trim()) return show('bad', `a comment is required to ${decision}: say why`);
    for (const b of form.querySelectorAll('button')) b.setAttribute('aria-busy', 'true');
    try {
      const q = new URLSearchParams({ id: pipelineId, decision });
      const msgRes = await fetch(`/api/message?${q}`, { cache: 'no-store' });
      const msg = await msgRes.json();
      if (!msgRes.ok) return show('bad', msg.error);
      const signature = await crypto.subtle.sign('Ed25519', signingKey, new TextEncoder().encode(msg.message));
      const body = { pipelineId, decision, approver: approver.value.trim(), signature: bytesToHex(signature) };
      if (comment.value.trim()) body.comment = comment.value.trim();
      const res = await fetch('/api/decide', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      const out = await res.json();
      if (out.accepted) show('ok', out.text);
      else show('bad', out.refused ?? out.error ?? `HTTP ${res.status}`);
    } catch (err) {
      show('bad', `could not send the decision: ${err.message}`);
    } finally {
      for (const b of form.querySelectorAll('button')) b.removeAttribute('aria-busy');
    }
  });

  function show(kind, text) {
    result.textContent = text;
    result.className = kind;
  }
}

startLive();
startDecide();
updateControls();
