// "The internet" of the box (run as root in the world namespace): fake LLM providers serving TLS
// from the test CA, each on its own address, and a plain-HTTP /stats on STATS_HOST:8000 that
// says how many TCP connections and bytes each one received (GET /reset zeroes them).
//   world PKI_DIR STATS_HOST NAME=HOST ...   e.g. eu=10.1.2.2 us=10.1.2.3 eu6=fd42:1:2::2
// Prints "ready" once every provider listens on port 443.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { FakeProvider } from '../../egress/support/fake-provider.ts';

const [, , pkiDir, statsHost, ...specs] = process.argv;
const pki = { caPem: readFileSync(join(pkiDir!, 'ca.pem'), 'utf8'), certPem: readFileSync(join(pkiDir!, 'cert.pem'), 'utf8'), keyPem: readFileSync(join(pkiDir!, 'key.pem'), 'utf8') };
const providers = new Map<string, FakeProvider>();
for (const spec of specs) {
  const [name, host] = spec.split('=') as [string, string];
  providers.set(name, await new FakeProvider(pki).start(host, 443));
}
http
  .createServer((req, res) => {
    if (req.url === '/reset') for (const p of providers.values()) p.reset();
    const stats = Object.fromEntries([...providers].map(([name, p]) => [name, { connections: p.tcpConnections, bytes: p.tcpBytes, requests: p.received.map((r) => `${r.method} ${r.headers.host ?? ''}${r.url}`) }]));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
  })
  .listen(8000, statsHost, () => process.stdout.write('ready\n'));
