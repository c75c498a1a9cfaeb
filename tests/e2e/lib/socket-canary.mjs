// A socket-level canary for Chromium: with CANARY_RULES the browser's resolver maps every host
// name except 127.0.0.1 and localhost to this local TCP server, so any connection meant for the
// outside world (a request, a preconnect on hover or mousedown, a prefetch) lands here instead,
// and nothing leaves the machine. Every connection is recorded, including one that never sends a
// byte; its first bytes say which host it was for (the TLS ClientHello's server name, or the
// HTTP Host header). Connections are labelled with the step the spec was at.
//
// DNS lookups are answered inside Chromium by the same rules, so a lookup that is not followed by
// a connection (a DNS prefetch) never reaches a socket: lib/netlog.mjs finds those in Chromium's
// NetLog, where they show up as resolutions of this server's address.
import { once } from 'node:events';
import { createServer } from 'node:net';

// Chromium switches: the mapping, plus Chromium's own background services sent nowhere or off
// (network time, component and sign-in checks, autofill and optimisation hints, domain
// reliability, pings). Without them the browser itself connects out at start-up and every few
// minutes, which would drown what the spec looks for.
export function canaryChromiumArgs(port) {
  return [
    `--host-resolver-rules=MAP * 127.0.0.1:${port}, EXCLUDE 127.0.0.1, EXCLUDE localhost`,
    '--component-updater=url-source=http://127.0.0.1:9/',
    '--gaia-url=http://127.0.0.1:9/',
    '--disable-features=NetworkTimeServiceQuerying,OptimizationHints,OptimizationGuideModelDownloading,'
      + 'AutofillServerCommunication,MediaRouter',
    '--disable-domain-reliability',
    '--disable-client-side-phishing-detection',
    '--no-pings',
  ];
}

// Profile preferences for the same reason: no spelling dictionary download (typing in an
// editable field fetches one from redirector.gvt1.com).
export const CANARY_CHROMIUM_PREFERENCES = {
  browser: { enable_spellchecking: false },
  spellcheck: { dictionaries: [], dictionary: '', use_spelling_service: false },
};

// Host a connection was for, from its first bytes: the server name of a TLS ClientHello, or the
// Host header (and request line) of plain HTTP.
export function hostOfFirstBytes(buf) {
  if (buf.length > 5 && buf[0] === 0x16) {
    try {
      let p = 5 + 4 + 2 + 32; // record header, handshake header, version, random
      p += 1 + buf[p]; // session id
      p += 2 + buf.readUInt16BE(p); // cipher suites
      p += 1 + buf[p]; // compression methods
      const end = p + 2 + buf.readUInt16BE(p);
      p += 2;
      while (p + 4 <= end) {
        const type = buf.readUInt16BE(p);
        const len = buf.readUInt16BE(p + 2);
        if (type === 0) {
          const nameLen = buf.readUInt16BE(p + 7);
          return { protocol: 'tls', host: buf.subarray(p + 9, p + 9 + nameLen).toString('latin1') };
        }
        p += 4 + len;
      }
    } catch { /* a ClientHello cut short: the host stays unknown */ }
    return { protocol: 'tls', host: null };
  }
  const text = buf.toString('latin1');
  return {
    protocol: 'http',
    host: /\r\nhost:\s*([^\r\n]+)/i.exec(text)?.[1] ?? null,
    requestLine: text.split('\r\n')[0].slice(0, 200),
  };
}

export async function startSocketCanary() {
  const connections = []; // { step, at, protocol, host, requestLine, bytes }
  let step = 'start';
  const sockets = new Set();
  const server = createServer((socket) => {
    const record = { step, at: Date.now(), protocol: null, host: null, bytes: 0 };
    connections.push(record);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.once('data', (chunk) => {
      Object.assign(record, hostOfFirstBytes(chunk));
      record.bytes = chunk.length;
      // Nothing is answered: the browser sees a connection that went nowhere.
      socket.destroy();
    });
    // A connection that never sends anything (a bare preconnect) is closed after a while.
    socket.setTimeout(5000, () => socket.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: server.address().port,
    connections,
    step(label) { step = label; },
    describe: (c) => `${c.protocol ?? 'a connection with no data'}${c.host ? ` for ${c.host}` : ''}`
      + `${c.requestLine ? ` (${c.requestLine})` : ''} during "${c.step}"`,
    close: () => new Promise((ok) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => ok());
    }),
  };
}
