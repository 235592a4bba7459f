// The MCP server the gateway benchmark drives: answers tools/call with a fixed ~1 KB result
// holding a customer record (realistic personal-data density), as fast as Node can. Kept
// minimal on purpose so that the server is not the bottleneck and the numbers show what each
// proxy in front of it costs.
import http from 'node:http';
import { resultFor } from './payload.ts';

const port = Number(process.argv[2] ?? 0);
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let id: unknown = null;
    try {
      id = (JSON.parse(Buffer.concat(chunks).toString()) as { id?: unknown }).id ?? null;
    } catch {
      // answer anyway
    }
    const body = resultFor(id);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1');
