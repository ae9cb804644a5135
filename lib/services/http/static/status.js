// The status page: asks for an API token once per tab (kept in sessionStorage, sent as a
// bearer header), loads the server-rendered status into the page every 15 seconds, and sends
// the admin buttons' actions (retry, cancel) to the JSON API. No build step, no library.
'use strict';
const KEY = 'jobsystem-api-token';
const $ = (id) => document.getElementById(id);

function token() {
  return sessionStorage.getItem(KEY);
}

function say(text, isError) {
  $('message').textContent = text;
  $('message').className = isError ? 'error' : '';
}

function showLogin(why) {
  $('login').hidden = false;
  $('logout').hidden = true;
  $('content').textContent = '';
  say(why || '', Boolean(why));
}

async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${token()}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  return fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

async function load() {
  if (!token()) return showLogin();
  let response;
  try {
    response = await api('GET', '/status/fragment');
  } catch (error) {
    return say(`The server cannot be reached: ${error.message}`, true);
  }
  if (response.status === 401) {
    sessionStorage.removeItem(KEY);
    return showLogin('That token was refused.');
  }
  if (!response.ok) return say(`The status could not be read (HTTP ${response.status}).`, true);
  $('login').hidden = true;
  $('logout').hidden = false;
  $('content').innerHTML = await response.text();
}

async function act(button) {
  const { action, job } = button.dataset;
  const body = action === 'cancel' ? { reason: 'cancelled from the status page' } : {};
  button.disabled = true;
  const response = await api('POST', `/jobs/${encodeURIComponent(job)}/${action}`, body);
  const answer = await response.json().catch(() => ({}));
  if (response.ok) say(`Job ${job}: ${action} done, now ${answer.job.status}.`);
  else say(`Job ${job}: ${action} refused: ${answer.message || response.status}`, true);
  await load();
}

async function showOops(id) {
  const response = await api('GET', `/oops/${encodeURIComponent(id)}`);
  $('oops-title').textContent = id;
  $('oops-text').textContent = response.ok ? JSON.stringify(await response.json(), null, 2) : `HTTP ${response.status}`;
  $('oops-view').hidden = false;
}

document.addEventListener('DOMContentLoaded', () => {
  $('login').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY, $('token').value.trim());
    $('token').value = '';
    say('');
    load();
  });
  $('logout').addEventListener('click', () => {
    sessionStorage.removeItem(KEY);
    showLogin('Token forgotten.');
  });
  $('oops-close').addEventListener('click', () => ($('oops-view').hidden = true));
  document.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-action]');
    if (button) return void act(button);
    const link = event.target.closest('a[data-oops]');
    if (link) {
      event.preventDefault();
      showOops(link.dataset.oops);
    }
  });
  load();
  setInterval(() => token() && load(), 15000);
});
