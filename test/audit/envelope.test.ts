import { expect } from 'chai';
import { hrTimeToNanoseconds } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { classify } from '../../sidecar/audit/breeze.ts';
import { advanceCursor, EMPTY_CURSOR } from '../../sidecar/audit/cursor.ts';
import { auditProperties, PAYLOAD_MAX_PARTS, PROPERTY_MAX_BYTES, splitUtf8, toLogRecord } from '../../sidecar/audit/envelope.ts';
import type { AuditRecord } from '../../sidecar/audit/record.ts';

const record = (payload: Record<string, unknown>): AuditRecord => ({
  kind: 'egress',
  principal: { sub: 'agent-7', clientId: 'c1' },
  decision: 'deny',
  reason: 'region not allowed',
  method: 'POST',
  upstream: 'aoai',
  destination: 'api.openai.com',
  region: 'us',
  tunnel: false,
  status: 403,
  durationMs: 1.5,
  masked: { EMAIL: 2 },
  payload,
  seq: 7,
  time: '2025-01-01T00:00:00.000Z',
  prev: 'a'.repeat(64),
  hash: 'b'.repeat(64),
});

describe('audit event properties and ingestion answers', () => {
  it("gives the exporter a time that it turns back into the record's own millisecond", () => {
    // The exporter computes seconds * 1e9 + nanos as one float (about 1.7e18, past 2^53) and
    // divides by 1e6: for some milliseconds that lands a hair below, and Date truncates it.
    const resource = resourceFromAttributes({});
    const start = Date.parse('2026-11-21T10:00:00.000Z');
    for (let ms = start; ms < start + 10_000; ms++) {
      const time = new Date(ms).toISOString();
      const { hrTime } = toLogRecord({ ...record({}), time }, resource);
      expect(new Date(hrTimeToNanoseconds(hrTime) / 1e6).toISOString(), time).to.equal(time);
    }
  });

  it('flattens a record into string properties', () => {
    expect(auditProperties(record({ b: 1, a: 'x' }))).to.deep.equal({
      seq: '7',
      time: '2025-01-01T00:00:00.000Z',
      kind: 'egress',
      decision: 'deny',
      reason: 'region not allowed',
      method: 'POST',
      'principal.sub': 'agent-7',
      'principal.clientId': 'c1',
      upstream: 'aoai',
      destination: 'api.openai.com',
      region: 'us',
      tunnel: 'false',
      status: '403',
      durationMs: '1.5',
      masked: '{"EMAIL":2}',
      payload: '{"a":"x","b":1}',
      prev: 'a'.repeat(64),
      hash: 'b'.repeat(64),
    });
  });

  it('splits a long payload over properties of at most 8192 bytes, never inside a character, and says when it is cut', () => {
    const long = { text: 'é'.repeat(10_000) };
    const p = auditProperties(record(long));
    expect(p['payload.parts']).to.equal('3');
    const parts = [p.payload!, p['payload.2']!, p['payload.3']!];
    for (const part of parts) expect(Buffer.byteLength(part)).to.be.at.most(PROPERTY_MAX_BYTES);
    expect(parts.join('')).to.equal(JSON.stringify(long));
    const huge = auditProperties(record({ text: 'x'.repeat(PROPERTY_MAX_BYTES * (PAYLOAD_MAX_PARTS + 1)) }));
    expect(huge).to.include({ 'payload.parts': String(PAYLOAD_MAX_PARTS), 'payload.truncated': 'true' });
    expect(splitUtf8('a😀b', 4)).to.deep.equal(['a', '😀', 'b']);
  });

  it('classifies answers per item: 200, 206, retriable and final statuses, no answer', () => {
    expect(classify({ status: 200, body: '{"itemsReceived":3,"itemsAccepted":3,"errors":[]}' }, 3)).to.deep.include({ accepted: [0, 1, 2], retry: [], failure: undefined });
    const partial = classify({ status: 206, body: JSON.stringify({ errors: [{ index: 1, statusCode: 503 }, { index: 2, statusCode: 400, message: 'bad' }] }) }, 4);
    expect(partial).to.deep.include({ accepted: [0, 3], retry: [1], rejected: [{ index: 2, status: 400, message: 'bad' }] });
    expect(classify({ status: 206, body: 'garbage' }, 2).retry).to.deep.equal([0, 1]);
    expect(classify({ status: 429, retryAfterMs: 3000 }, 2)).to.deep.include({ retry: [0, 1], retryAfterMs: 3000, failure: { reason: 'throttled', detail: 'HTTP 429' } });
    expect(classify({ status: 402 }, 1).failure?.reason).to.equal('throttled');
    expect(classify({ status: 401 }, 1).failure?.reason).to.equal('auth');
    expect(classify({ status: 400 }, 3)).to.deep.include({ split: true, retry: [] });
    expect(classify({ status: 400 }, 1).rejected).to.have.length(1);
    expect(classify({ status: 404 }, 2).retry).to.deep.equal([0, 1]);
    expect(classify({ error: 'ECONNREFUSED' }, 2)).to.deep.include({ retry: [0, 1], failure: { reason: 'network', detail: 'ECONNREFUSED' } });
    expect(classify(undefined, 1).retry).to.deep.equal([0]);
    const sampled = classify({ status: 206, body: JSON.stringify({ errors: [{ index: 0, statusCode: 500, message: 'Telemetry sampled out.' }] }) }, 1);
    expect(sampled.rejected[0]!.message).to.match(/ingestion sampling/u);
  });

  it('advances the cursor over the contiguous acknowledged prefix and remembers the rest', () => {
    const c1 = advanceCursor(EMPTY_CURSOR, [1, 2, 4, 5], 0, 't');
    expect(c1).to.deep.include({ ackedSeq: 2, beyond: [4, 5] });
    expect(advanceCursor(c1, [3], 1, 't')).to.deep.include({ ackedSeq: 5, beyond: [], rejected: 1 });
  });
});
