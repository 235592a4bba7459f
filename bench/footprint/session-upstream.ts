// The MCP server for the open-sessions figure: it hands every initialize a session id and
// holds each session's GET stream open, as a stateful Streamable HTTP server does, without the
// SDK's own per-session cost muddying what the proxy in front of it holds per session.
import http from 'node:http';
import { randomUUID } from 'node:crypto';

const port = Number(process.argv[2] ?? 0);
const open = new Set<http.ServerResponse>();
http
  .createServer((req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      // A message, not a comment: the sidecar drops SSE comments, and the client waits for a first event.
      res.write(`data: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'stream open' } })}\n\n`);
      open.add(res);
      res.on('close', () => open.delete(res));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const msg = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { id?: unknown; method?: string };
      if (msg.id === undefined) {
        res.writeHead(202).end();
        return;
      }
      const result =
        msg.method === 'initialize'
          ? { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'sessions', version: '1' } }
          : {};
      const body = JSON.stringify({ jsonrpc: '2.0', id: msg.id, result });
      const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
      if (msg.method === 'initialize') headers['mcp-session-id'] = randomUUID();
      res.writeHead(200, headers).end(body);
    });
  })
  .listen(port, '127.0.0.1');
