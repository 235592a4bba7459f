// The floor for any proxy that must read what it forwards: a Node proxy that parses and
// re-serializes each JSON body and does nothing else (no policy, masking or audit). The gap
// between this and the plain pass-through is the price of inspecting bodies at all; the gap
// between this and the sidecar is what policy, masking and the durable audit record cost.
import http from 'node:http';

const [listenPort, upstreamPort] = process.argv.slice(2).map(Number);
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

function read(stream: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

http
  .createServer((req, res) => {
    void (async () => {
      const payload = JSON.stringify(JSON.parse((await read(req)).toString('utf8')) as unknown);
      const out = http.request({
        host: '127.0.0.1',
        port: upstreamPort,
        method: 'POST',
        path: req.url,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        agent,
      });
      out.end(payload);
      const up = await new Promise<http.IncomingMessage>((resolve, reject) => out.once('response', resolve).once('error', reject));
      const text = JSON.stringify(JSON.parse((await read(up)).toString('utf8')) as unknown);
      res.writeHead(up.statusCode ?? 502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
    })().catch(() => res.writeHead(502).end());
  })
  .listen(listenPort, '127.0.0.1');
