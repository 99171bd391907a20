import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

/*
 * A website written for the original HAT, as its developers were told to build one: it sends the
 * person to the URL of the HAT JavaScript SDK's `generateHatLoginUrl`, and on its redirect page
 * uses the SDK itself, in the browser, with the token it was given. The SDK is the published
 * package, unmodified, bundled for the browser as any website would bundle it (esbuild, which the
 * project already has through tsx).
 */

export interface HatJsWebsite {
  /** `http://localhost:<port>` */
  origin: string;
  close(): Promise<void>;
}

let bundle: Promise<string> | undefined;

/** The SDK as one browser script defining `HatJs.HatClient`. */
function sdkBundle(): Promise<string> {
  bundle ??= build({
    entryPoints: [createRequire(import.meta.url).resolve('@dataswift/hat-js')],
    bundle: true,
    format: 'iife',
    globalName: 'HatJs',
    platform: 'browser',
    target: 'es2019',
    write: false,
    logLevel: 'silent',
  }).then((r) => r.outputFiles[0]!.text);
  return bundle;
}

// The redirect page: the SDK takes the token, writes one record and reads the namespace back.
const APP_SCRIPT = `
(async function () {
  var out = document.getElementById('result');
  var token = new URLSearchParams(location.search).get('token');
  try {
    var hat = new HatJs.HatClient({ token: token, apiVersion: 'v2.6', secure: false });
    var created = await hat.hatData().create('rumpel', 'notablesv1', { message: 'written by the SDK in the browser' });
    var read = await hat.hatData().getAll('rumpel', 'notablesv1', { ordering: 'descending', take: '1' });
    out.textContent = JSON.stringify({ hat: hat.auth().getHatDomain(), created: created.parsedBody, read: read.parsedBody });
  } catch (err) {
    out.textContent = 'SDK error: ' + (err && (err.status || err.message));
  }
  out.setAttribute('data-done', 'yes');
})();
`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;
}

export async function startHatJsWebsite(): Promise<HatJsWebsite> {
  const sdk = await sdkBundle();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (type: string, text: string) => {
      res.writeHead(200, { 'Content-Type': `${type}; charset=utf-8`, 'Cache-Control': 'no-store' });
      res.end(text);
    };
    if (url.pathname === '/hat-js.js') return send('text/javascript', sdk);
    if (url.pathname === '/app.js') return send('text/javascript', APP_SCRIPT);
    if (url.pathname === '/authenticate') {
      return send('text/html', page('Notables', '<h1>Back at Notables</h1><pre id="result"></pre><script src="/hat-js.js"></script><script src="/app.js"></script>'));
    }
    if (url.pathname === '/failed') {
      return send('text/html', page('Notables', `<h1>Not logged in</h1><p id="error">${url.searchParams.get('error') === 'access_denied' ? 'access_denied' : 'other'}</p>`));
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://localhost:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
