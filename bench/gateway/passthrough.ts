// A plain Node pass-through reverse proxy (no parsing, no policy): the baseline that shows what
// Node itself costs, so the sidecar's own cost (auth, policy, masking, audit) can be read off.
import http from 'node:http';

const [listenPort, upstreamPort] = process.argv.slice(2).map(Number);
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
http
  .createServer((req, res) => {
    const out = http.request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers, agent }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', () => res.writeHead(502).end());
    req.pipe(out);
  })
  .listen(listenPort, '127.0.0.1');
