// A recording HTTP proxy for browsers that have no DevTools request recorder here (Firefox
// driven through geckodriver). The browser is pointed at it for every scheme (see PROXY_PREFS),
// so every request it makes over the network arrives here first:
//   - plain requests ("GET http://host:port/path"), forwarded only to `upstream` (the fixture
//     server) and answered 502 for any other host;
//   - CONNECT tunnels (https://, wss://), recorded and refused: nothing is tunnelled anywhere;
//   - bare TCP connections that never send a request (a speculative connection opens one).
// Every request records its method, URL, target host and its Origin and Referer headers.
import { once } from 'node:events';
import { request as httpRequest, createServer } from 'node:http';

// Firefox prefs sending all traffic, even to 127.0.0.1, through the proxy at `port`.
export function proxyPrefs(port) {
  return {
    'network.proxy.type': 1,
    'network.proxy.http': '127.0.0.1',
    'network.proxy.http_port': port,
    'network.proxy.ssl': '127.0.0.1',
    'network.proxy.ssl_port': port,
    'network.proxy.share_proxy_settings': false,
    'network.proxy.socks': '',
    'network.proxy.no_proxies_on': '',
    'network.proxy.allow_hijacking_localhost': true,
    'network.proxy.failover_direct': false,
  };
}

export async function startRecordingProxy(upstream) {
  const up = new URL(upstream);
  const requests = []; // { kind: 'request' | 'connect', method, url, host, origin, referer, step, at }
  const connections = []; // { id, step, at, requests: n, bytes }
  let step = 'start';
  let nextId = 0;

  const server = createServer((req, res) => {
    const conn = req.socket.__record;
    if (conn) conn.requests += 1;
    let target;
    try {
      target = new URL(req.url); // absolute-form: the browser speaks to a proxy
    } catch {
      target = null;
    }
    requests.push({
      kind: 'request',
      method: req.method,
      url: req.url,
      host: target?.host ?? req.headers.host ?? null,
      origin: req.headers.origin ?? null,
      referer: req.headers.referer ?? null,
      step,
      at: Date.now(),
    });
    if (!target || target.origin !== up.origin) {
      req.resume();
      res.writeHead(502, { 'content-type': 'text/plain' }).end('refused by the recording proxy');
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-connection'];
    const forward = httpRequest({
      host: up.hostname, port: up.port, method: req.method, path: target.pathname + target.search, headers,
    }, (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502).end(String(err));
      else res.destroy();
    });
    req.pipe(forward);
  });

  server.on('connection', (socket) => {
    const record = { id: nextId++, step, at: Date.now(), requests: 0, bytes: 0 };
    socket.__record = record;
    socket.on('data', (chunk) => { record.bytes += chunk.length; });
    socket.on('error', () => {});
    connections.push(record);
  });

  server.on('connect', (req, socket) => {
    const conn = socket.__record;
    if (conn) conn.requests += 1;
    requests.push({
      kind: 'connect',
      method: 'CONNECT',
      url: req.url,
      host: req.url,
      origin: req.headers.origin ?? null,
      referer: req.headers.referer ?? null,
      step,
      at: Date.now(),
    });
    socket.on('error', () => {});
    socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
  });

  server.keepAliveTimeout = 2000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  return {
    port,
    requests,
    connections,
    // Labels what happens from now on (shown in failures: which step of which flow).
    step(label) { step = label; },
    close: () => new Promise((ok) => {
      server.closeAllConnections?.();
      server.close(() => ok());
    }),
  };
}
