// Fixture HTTP server for the end-to-end specs: serves fixtures/ on 127.0.0.1 (random free port)
// and records every upload it receives, so a spec can tell whether a photo left the browser.
//   /<file>          fixtures/<file>
//   /csp/<file>      the same file, with the strict Content-Security-Policy STRICT_CSP
//   POST /upload     multipart/form-data (each file part) or a raw body; recorded
//   GET /__uploads   the recorded uploads as JSON
// Run alone with `node server.mjs` to browse the fixtures by hand.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = resolve(fileURLToPath(new URL('./fixtures/', import.meta.url)));
// Stricter than the big networks: no inline script or style, frames and requests only to itself.
export const STRICT_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; frame-src 'self'; img-src 'self' blob: data:";

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.wasm': 'application/wasm',
};

const MAX_UPLOAD = 64 * 1024 * 1024;

function describe(bytes, filename, contentType, field) {
  return {
    sha256: createHash('sha256').update(bytes).digest('hex'),
    size: bytes.length,
    filename,
    contentType,
    field,
  };
}

// Minimal multipart/form-data parser: enough for browser-built FormData bodies.
export function parseMultipart(body, boundary) {
  const parts = [];
  const delimiter = Buffer.from(`--${boundary}`);
  let pos = body.indexOf(delimiter, 0);
  while (pos !== -1) {
    pos += delimiter.length;
    if (body.subarray(pos, pos + 2).toString() === '--') break;
    pos += 2; // CRLF after the delimiter
    const headerEnd = body.indexOf(Buffer.from('\r\n\r\n'), pos);
    if (headerEnd === -1) break;
    const headers = {};
    for (const line of body.subarray(pos, headerEnd).toString('utf8').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const next = body.indexOf(delimiter, headerEnd + 4);
    if (next === -1) break;
    const content = body.subarray(headerEnd + 4, next - 2); // drop the CRLF before the delimiter
    const disposition = headers['content-disposition'] ?? '';
    parts.push({
      name: /\bname="([^"]*)"/.exec(disposition)?.[1] ?? null,
      filename: /\bfilename="([^"]*)"/.exec(disposition)?.[1] ?? null,
      contentType: headers['content-type'] ?? null,
      content,
    });
    pos = next;
  }
  return parts;
}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_UPLOAD) throw new Error('upload too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export async function startServer({ root = FIXTURES, log = false } = {}) {
  const uploads = [];
  const bodies = []; // the bytes of each upload, same order as uploads

  async function recordUpload(req) {
    const body = await readBody(req);
    const type = req.headers['content-type'] ?? '';
    const boundary = /multipart\/form-data;.*boundary=(?:"([^"]+)"|([^;]+))/i.exec(type);
    const at = new Date().toISOString();
    const recorded = [];
    if (boundary) {
      for (const part of parseMultipart(body, boundary[1] ?? boundary[2])) {
        if (part.filename === null) continue; // a plain form field, not a file
        recorded.push(describe(part.content, part.filename, part.contentType, part.name));
        bodies.push(Buffer.from(part.content));
      }
    } else {
      const url = new URL(req.url, 'http://127.0.0.1');
      const filename = req.headers['x-filename'] ?? url.searchParams.get('name');
      recorded.push(describe(body, filename, type || null, null));
      bodies.push(body);
    }
    for (const r of recorded) uploads.push({ ...r, at });
    return recorded;
  }

  async function serveFile(res, path, csp) {
    const rel = normalize(decodeURIComponent(path)).replace(/^([/\\])+/, '');
    const file = join(root, rel === '' ? 'index.html' : rel);
    if (file !== root && !file.startsWith(root + sep)) {
      res.writeHead(403).end();
      return;
    }
    let data;
    try {
      data = await readFile(file);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const headers = {
      'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'cache-control': 'no-store',
    };
    if (csp) headers['content-security-policy'] = STRICT_CSP;
    res.writeHead(200, headers).end(data);
  }

  const server = createServer(async (req, res) => {
    try {
      const { pathname } = new URL(req.url, 'http://127.0.0.1');
      if (log) console.log(req.method, req.url);
      if (req.method === 'POST' && pathname === '/upload') {
        const recorded = await recordUpload(req);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ received: recorded }));
      } else if (req.method === 'GET' && pathname === '/__uploads') {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
          .end(JSON.stringify(uploads));
      } else if (req.method === 'GET' || req.method === 'HEAD') {
        const csp = pathname === '/csp' || pathname.startsWith('/csp/');
        await serveFile(res, csp ? pathname.slice('/csp'.length) : pathname, csp);
      } else {
        res.writeHead(405).end();
      }
    } catch (err) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    }
  });

  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', ok);
  });
  const { port } = server.address();
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    url: (path = '/') => new URL(path, `http://127.0.0.1:${port}`).href,
    uploads: () => uploads.slice(),
    uploadBytes: (i) => bodies[i],
    clearUploads: () => {
      uploads.splice(0);
      bodies.splice(0);
    },
    close: () => new Promise((ok) => {
      server.closeAllConnections?.();
      server.close(() => ok());
    }),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const s = await startServer({ log: true });
  console.log(`fixtures on ${s.origin}/  (strict CSP under ${s.origin}/csp/)`);
}
