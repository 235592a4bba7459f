// The pod's app in the box (started as the app's UID inside the pod namespace): the demo's
// sample MCP server on 127.0.0.1:PORT+1, fronted on all addresses at PORT, which also answers
// GET /healthz itself (the kubelet's probe target). Prints "ready" once listening.
import http from 'node:http';
import { startSampleServer } from '../../../demo/sample-server.ts';

const port = Number(process.argv[2]);
const inner = await startSampleServer('streamable', { host: '127.0.0.1', port: port + 1 });
const front = http.createServer((req, res) => {
  if (req.url === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('app ok\n');
  const up = http.request({ host: '127.0.0.1', port: port + 1, path: req.url, method: req.method, headers: req.headers }, (r) => {
    res.writeHead(r.statusCode ?? 502, r.headers);
    r.pipe(res);
  });
  up.on('error', () => res.destroy());
  req.pipe(up);
});
front.listen({ port, host: '::', ipv6Only: false }, () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => void inner.close().then(() => process.exit(0)));
