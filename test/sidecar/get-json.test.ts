// The issuer's metadata and keys are fetched with getJson: what it accepts and what it refuses.
import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { getJson } from '../../sidecar/http/get-json.ts';

describe('getJson (OIDC metadata and keys)', () => {
  let server: http.Server;
  let base: string;
  const seen: http.IncomingHttpHeaders[] = [];
  before(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.headers);
      if (req.url === '/keys') res.setHeader('content-type', 'application/json').end('{"keys":[]}');
      else if (req.url === '/moved') res.writeHead(302, { location: '/keys' }).end();
      else if (req.url === '/huge') res.end(`{"x":"${'a'.repeat(2 * 1024 * 1024)}"}`);
      else if (req.url === '/slow') setTimeout(() => res.end('{}'), 2_000).unref();
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('returns the parsed document, asking for JSON', async () => {
    expect(await getJson(`${base}/keys`, 5_000)).to.deep.equal({ keys: [] });
    expect(seen.at(-1)?.accept).to.equal('application/json');
  });

  it('refuses a redirect and an error status, naming the URL and the status', async () => {
    await getJson(`${base}/moved`, 5_000).then(() => expect.fail('followed a redirect'), (err: Error) => expect(err.message).to.equal(`GET ${base}/moved: answered 302`));
    await getJson(`${base}/nope`, 5_000).then(() => expect.fail('accepted a 404'), (err: Error) => expect(err.message).to.equal(`GET ${base}/nope: answered 404`));
  });

  it('refuses an answer larger than 1 MiB, one too slow, and a URL that is not http(s)', async () => {
    await getJson(`${base}/huge`, 5_000).then(() => expect.fail('read 2 MB'), (err: Error) => expect(err.message).to.equal(`GET ${base}/huge: body larger than 1048576 bytes`));
    await getJson(`${base}/slow`, 100).then(() => expect.fail('waited past the timeout'), (err: Error) => expect(err.message).to.equal(`GET ${base}/slow: no answer in 100 ms`));
    await getJson('file:///etc/passwd', 100).then(() => expect.fail('read a file'), (err: Error) => expect(err.message).to.match(/not an http\(s\) URL/u));
  });
});
