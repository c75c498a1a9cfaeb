// Reads Chromium's NetLog (--log-net-log=FILE): the network stack's own record of every host
// resolution, socket group and connection, including the ones DevTools never shows (DNS
// prefetches, preconnects on hover or mousedown, the browser's own fetches). Used with the socket
// canary (lib/socket-canary.mjs), whose rules map every outside host to the canary's port:
//   - a socket group for a host other than 127.0.0.1 or localhost is a connection (or a
//     preconnect) meant for the outside; its group id names the host and, in <...>, the site of
//     the frame it was made for (the network anonymization key: chrome-extension://<id> for an
//     extension page);
//   - a host resolution of the canary's address is a lookup of an outside name (the rules rewrote
//     the name before the resolver saw it), with the same key.
// The file is complete once Chromium has exited; before that its last events may not be written.
import { readFileSync } from 'node:fs';

// Every event that carries parameters, with its type's name and its wall-clock time (ms).
export function readNetLog(file) {
  const lines = readFileSync(file, 'utf8').split('\n');
  const { constants } = JSON.parse(`${lines[0].replace(/,\s*$/, '')}}`);
  const names = Object.fromEntries(Object.entries(constants.logEventTypes).map(([name, id]) => [id, name]));
  const offset = Number(constants.timeTickOffset);
  const events = [];
  for (const line of lines.slice(1)) {
    if (!line.startsWith('{')) continue;
    let event;
    try {
      event = JSON.parse(line.replace(/(\]\})?,?\s*$/, ''));
    } catch {
      continue; // the last line of a file still being written
    }
    if (!event.params) continue;
    events.push({ name: names[event.type], params: event.params, source: event.source?.id, at: Number(event.time) + offset });
  }
  return events;
}

const LOCAL = new Set(['127.0.0.1', 'localhost', '[::1]']);

// What the network stack did for outside hosts: [{ kind, host, site, speculative, at }], one per
// socket group request or resolution. `kind` is 'connect' (a socket group for an outside host;
// preconnects included) or 'lookup' (a resolution of an outside name, seen as the canary's address).
export function outsideActivity(events, canaryPort) {
  const found = [];
  const seen = new Set();
  for (const e of events) {
    const groupId = e.params.group_id;
    if (typeof groupId === 'string' && /SOCKET_POOL_REQUESTED_SOCKETS?$/.test(e.name)) {
      // "[pm/]scheme://host[:port] <site same_site>" (pm/: privacy mode)
      const m = /^(?:[a-z]+\/)*([a-z-]+:\/\/[^ ]+) <([^>]*)>/.exec(groupId);
      if (!m) continue;
      const url = new URL(m[1]);
      if (LOCAL.has(url.hostname)) continue;
      const key = `connect ${e.source} ${groupId}`;
      if (seen.has(key)) continue;
      seen.add(key);
      found.push({ kind: 'connect', host: url.host, site: m[2].replace(/ same_site$/, ''), speculative: e.name.endsWith('SOCKETS'), at: e.at });
    } else if (e.name === 'HOST_RESOLVER_MANAGER_REQUEST' && typeof e.params.host === 'string'
      && e.params.host.endsWith(`:${canaryPort}`)) {
      found.push({
        kind: 'lookup',
        host: '(an outside name)',
        site: e.params.network_anonymization_key?.replace(/ same_site$/, '') ?? null,
        speculative: Boolean(e.params.is_speculative),
        at: e.at,
      });
    }
  }
  return found;
}
