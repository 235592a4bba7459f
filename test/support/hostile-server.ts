// An MCP server that answers whatever the test scripts: the stand-in for a hostile or buggy
// server (bad bytes, wrong ids, replays, headers and SSE fields carrying data). Each request is
// handed, with its parsed JSON body, to the current script.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Script = (req: http.IncomingMessage, body: { id?: unknown; method?: string } | undefined, res: http.ServerResponse) => void;

export interface HostileServer {
  readonly origin: string;
  /** What answers the next requests. */
  script: Script;
  /** Headers of every request received, in order. */
  readonly requests: http.IncomingHttpHeaders[];
  close(): Promise<void>;
}

export async function startHostileServer(): Promise<HostileServer> {
  const state: HostileServer = {
    origin: '',
    script: (_req, _body, res) => void res.writeHead(500).end(),
    requests: [],
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.requests.push(req.headers);
      const text = Buffer.concat(chunks).toString('utf8');
      state.script(req, text === '' ? undefined : (JSON.parse(text) as { id?: unknown; method?: string }), res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(state, { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}
