// The MCP server the gateway benchmark drives: answers tools/call with a fixed ~1 KB result
// holding a customer record (realistic personal-data density), as fast as Node can. Kept
// minimal on purpose so that the server is not the bottleneck and the numbers show what each
// proxy in front of it costs.
import http from 'node:http';

const record = {
  customer: {
    id: '42',
    name: 'Jane Doe',
    email: 'jane.doe@example.com',
    phone: '+49 30 901820',
    iban: 'DE89 3704 0044 0532 0130 00',
    card: '4111 1111 1111 1111',
    address: { street: 'Karl-Marx-Allee 1', city: 'Berlin', postcode: '10178', country: 'DE' },
    lastLoginIp: '203.0.113.7',
    orders: [
      { id: 'ORD-2024-11873', total: 129.9, currency: 'EUR', placed: '2024-10-02T09:14:00Z' },
      { id: 'ORD-2024-12002', total: 54.5, currency: 'EUR', placed: '2024-10-19T17:40:00Z' },
    ],
    notes: 'Prefers e-mail; called about invoice INV-2024-0091 on 2024-10-20. Second contact: j.doe@work.example.org.',
  },
};
const text = JSON.stringify(record);

export function resultFor(id: unknown): string {
  return JSON.stringify({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text }], structuredContent: record } });
}

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
