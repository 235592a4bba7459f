// The node side of the box (run as root inside the node namespace):
//   issuer HOST PORT NAME CERT KEY AUDIENCE  an HTTPS OIDC issuer at https://NAME:PORT (discovery
//                                           and JWKS); prints {"issuer","token"} (a token for
//                                           AUDIENCE), then "ready", and keeps serving
//   get URL                                 prints {"status","body"} of a plain GET (a kubelet probe)
//   unauthenticated URL                     an MCP initialize without a token: {"status","wwwAuthenticate"}
//   agent URL TOKEN                         the official MCP SDK client calls get_customer {"id":"42"}: {"text"}
//   fetch URL BODY                          an app's plain fetch POST (no proxy): {"status","text"} or {"error"}
//   tls ADDRESS SNI PATH BODY               HTTPS to ADDRESS:443 naming SNI (and Host): {"status","text"} or {"error"}
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

const [command, ...args] = process.argv.slice(2);
const print = (v: unknown): void => void process.stdout.write(`${JSON.stringify(v)}\n`);

if (command === 'issuer') {
  const [host, port, name, cert, key, audience] = args as [string, string, string, string, string, string];
  const issuer = `https://${name}:${port}`;
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'box-1', alg: 'ES256', use: 'sig' };
  const server = https.createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
    const json = (body: unknown): void => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url === '/.well-known/openid-configuration') return json({ issuer, jwks_uri: `${issuer}/jwks` });
    if (req.url === '/jwks') return json({ keys: [jwk] });
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(Number(port), host, r));
  const token = await new SignJWT({ scope: 'mcp:tools', client_id: 'box-agent' })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'box-1' })
    .setIssuer(issuer)
    .setSubject('box-agent')
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(privateKey);
  print({ issuer, token });
  process.stdout.write('ready\n');
} else if (command === 'get') {
  const r = await fetch(args[0]!);
  print({ status: r.status, body: await r.text() });
} else if (command === 'unauthenticated') {
  const r = await fetch(args[0]!, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }),
  });
  print({ status: r.status, wwwAuthenticate: r.headers.get('www-authenticate') });
} else if (command === 'agent') {
  const client = new Client({ name: 'box-agent', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(args[0]!), { requestInit: { headers: { authorization: `Bearer ${args[1]}` } } }));
  const result = await client.callTool({ name: 'get_customer', arguments: { id: '42' } });
  const content = result.content as { type: string; text?: string }[];
  print({ text: content.map((c) => c.text ?? '').join('') });
  await client.close();
} else if (command === 'fetch') {
  try {
    const r = await fetch(args[0]!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: args[1] });
    print({ status: r.status, text: await r.text() });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    print({ error: cause?.code ?? cause?.message ?? (err as Error).message });
  }
} else if (command === 'tls') {
  const [address, sni, path, body] = args as [string, string, string, string];
  const reply = await new Promise<unknown>((resolve) => {
    const req = https.request({ host: address, port: 443, servername: sni, method: 'POST', path, headers: { host: sni, 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end(body);
  });
  print(reply);
} else {
  process.stderr.write(`box/node.ts: unknown command ${command}\n`);
  process.exit(2);
}
