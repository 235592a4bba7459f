// Opens MCP sessions through a proxy and holds them: initialize, then a GET stream per session
// that stays open until released. Shared by the footprint bench and the open-sessions probe.
import http from 'node:http';

/** Opens `count` sessions on 127.0.0.1:port (with the bearer token when given); returns what closes them. */
export async function holdSessions(port: number, token: string | undefined, count: number): Promise<() => void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const streams: http.ClientRequest[] = [];
  const base = { host: '127.0.0.1', port, path: '/mcp', agent };
  const authz: http.OutgoingHttpHeaders = token !== undefined ? { authorization: `Bearer ${token}` } : {};
  const init = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } });
  for (let i = 0; i < count; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, async () => {
        const session = await new Promise<string>((resolve, reject) => {
          const req = http.request({ ...base, method: 'POST', headers: { ...authz, 'content-type': 'application/json', accept: 'application/json, text/event-stream' } }, (res) => {
            let text = '';
            res.setEncoding('utf8').on('data', (d: string) => (text += d));
            const id = res.headers['mcp-session-id'];
            if (res.statusCode === 200 && typeof id === 'string') resolve(id);
            else res.on('end', () => reject(new Error(`initialize answered ${res.statusCode}: ${text.slice(0, 300)}`)));
          });
          req.on('error', reject);
          req.end(init);
        });
        await new Promise<void>((resolve, reject) => {
          // A stream of its own: a held GET must not occupy a pooled keep-alive socket.
          const req = http.request({ ...base, agent: false, method: 'GET', headers: { ...authz, accept: 'text/event-stream', 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' } }, (res) => {
            if (res.statusCode !== 200) reject(new Error(`GET stream answered ${res.statusCode}`));
            res.once('data', () => resolve());
            // Bounded: a stream that never delivers its first event fails the bench instead of hanging it.
            setTimeout(() => reject(new Error('a GET stream delivered no event in 10 s')), 10_000).unref();
          });
          req.on('error', reject);
          req.end();
          streams.push(req);
        });
      }),
    );
  }
  return () => {
    for (const s of streams) s.destroy();
    agent.destroy();
  };
}
