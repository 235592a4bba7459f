// The node side of the box (run as root inside the node namespace):
//   issuer HOST PORT NAME CERT KEY AUDIENCE  an HTTPS OIDC issuer at https://NAME:PORT (discovery
//                                           and JWKS); prints {"issuer","token"} (a token for
//                                           AUDIENCE), then "ready", and keeps serving
//   get URL                                 prints {"status","body"} of a plain GET (a kubelet probe)
//   unauthenticated URL                     an MCP initialize without a token: {"status","wwwAuthenticate"}
//   agent URL TOKEN                         the official MCP SDK client calls get_customer {"id":"42"}: {"text"}
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
} else {
  process.stderr.write(`box/node.ts: unknown command ${command}\n`);
  process.exit(2);
}
