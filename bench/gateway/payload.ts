// The tools/call answer the gateway benchmark's server sends: ~1 KB, a customer record with a
// realistic density of personal data (e-mails, phone, IBAN, card, IP address).
export const record = {
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
export const text = JSON.stringify(record);

export function resultFor(id: unknown): string {
  return JSON.stringify({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text }], structuredContent: record } });
}

