// Webhook certificates: the rotation planner with a fake clock, the certificates themselves, and
// the webhook server swapping certificates in place and refusing an oversized review.
import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import { connect } from 'node:tls';
import { silentLogger } from '../../lib/log.ts';
import { caBundlePatch, trustsCa, trustsServing } from '../../operator/tls/cabundle.ts';
import { inspect, issuedBy } from '../../operator/tls/pki.ts';
import { planTls, type TlsMaterial, type TlsStep, type TlsTiming } from '../../operator/tls/plan.ts';
import { applyStep } from '../../operator/tls/rotate.ts';
import { fromSecret, toSecret } from '../../operator/tls/secret.ts';
import { WebhookServer } from '../../operator/admission/server.ts';
import { applyPatch } from '../../operator/inject/patch.ts';
import type { WebhookConfiguration } from '../../kube/core.ts';

const DAY = 86_400_000;
const timing: TlsTiming = { caValidityMs: 365 * DAY, caRenewBeforeMs: 90 * DAY, servingValidityMs: 30 * DAY, servingRenewBeforeMs: 10 * DAY, overlapMs: 5 * 60_000 };
const names = ['mcp-residency-webhook', 'mcp-residency-webhook.sys.svc'];
// Real time: the server test below makes real TLS connections with these certificates.
const t0 = new Date(Math.floor(Date.now() / 1000) * 1000);
const at = (ms: number): Date => new Date(t0.getTime() + ms);

/**
 * Runs the planner like the leader does: plan, apply, until nothing is due. `published`: whether
 * the webhook configurations' caBundle held the newest CA before this round; a CA added during
 * the round is not published yet.
 */
async function settle(m: TlsMaterial | undefined, now: Date, published: boolean): Promise<{ m: TlsMaterial; steps: string[]; next: Date }> {
  const steps: string[] = [];
  const publishedCa = published ? m?.caCerts[0] : undefined;
  for (let i = 0; i < 5; i++) {
    const step: TlsStep = planTls({ material: m, now, names, published: m !== undefined && (m.caCerts[0] === publishedCa || steps.includes('create')), timing });
    if (step.kind === 'none') return { m: m!, steps, next: step.nextCheckAt };
    steps.push(step.kind);
    m = await applyStep(m, step, names, now, timing);
  }
  throw new Error(`no fixed point: ${steps.join(', ')}`);
}

describe('webhook TLS', () => {
  let initial: TlsMaterial;
  before(async () => {
    initial = (await settle(undefined, t0, true)).m;
  });

  it('creates a CA and a serving certificate for the Service names, signed by it', () => {
    expect(initial.caCerts).to.have.length(1);
    const ca = new X509Certificate(initial.caCerts[0]!);
    expect(ca.ca).to.equal(true);
    const serving = inspect(initial.servingCert);
    expect(serving.names).to.deep.equal(names);
    expect(issuedBy(initial.servingCert, initial.caCerts[0]!)).to.equal(true);
    expect(serving.notAfter.getTime() - t0.getTime()).to.equal(timing.servingValidityMs);
  });

  it('does nothing while nothing is due, and says when to look again', async () => {
    const r = await settle(initial, at(DAY), true);
    expect(r.steps).to.deep.equal([]);
    expect(r.next.getTime()).to.equal(t0.getTime() + timing.servingValidityMs - timing.servingRenewBeforeMs);
  });

  it('renews the serving certificate before it expires, with the same CA', async () => {
    const r = await settle(initial, at(21 * DAY), true);
    expect(r.steps).to.deep.equal(['renew-serving']);
    expect(r.m.caCerts).to.deep.equal(initial.caCerts);
    expect(inspect(r.m.servingCert).notAfter.getTime()).to.equal(at(51 * DAY).getTime());
  });

  it('rotates the CA with an overlap: new CA trusted first, served only after the bundle is published and the overlap passed', async () => {
    const before = (await settle(initial, at(270 * DAY), true)).m; // a serving certificate renewed on the way
    const now = at(276 * DAY); // the CA has 89 days left
    const added = await settle(before, now, true);
    expect(added.steps).to.deep.equal(['add-ca']);
    expect(added.m.caCerts).to.have.length(2);
    expect(added.m.caCerts[1]).to.equal(initial.caCerts[0], 'the old CA stays in the bundle');
    expect(added.m.servingCert).to.equal(before.servingCert, 'still served by the old CA');

    const unpublished = await settle(added.m, at(276 * DAY + 10 * 60_000), false);
    expect(unpublished.steps, 'never before the API server trusts the new CA').to.deep.equal([]);
    const tooSoon = await settle(added.m, at(276 * DAY + 60_000), true);
    expect(tooSoon.steps, 'not within the overlap').to.deep.equal([]);
    expect(tooSoon.next.getTime()).to.equal(now.getTime() + timing.overlapMs);

    const moved = await settle(added.m, at(276 * DAY + timing.overlapMs), true);
    expect(moved.steps).to.deep.equal(['renew-serving']);
    expect(issuedBy(moved.m.servingCert, moved.m.caCerts[0]!)).to.equal(true);

    const pruned = await settle(moved.m, at(366 * DAY), true);
    expect(pruned.steps[0]).to.equal('prune');
    expect(pruned.m.caCerts).to.deep.equal([moved.m.caCerts[0]]);
  });

  it('starts over when the stored material is unusable', async () => {
    const broken = { ...initial, caKey: (await settle(undefined, t0, true)).m.caKey };
    const step = planTls({ material: broken, now: t0, names, published: true, timing });
    expect(step).to.include({ kind: 'create' });
  });

  it('re-issues for new names (the webhook Service was renamed)', () => {
    const step = planTls({ material: initial, now: at(DAY), names: [...names, '127.0.0.1'], published: true, timing });
    expect(step.kind).to.equal('renew-serving');
  });

  it('round-trips through the Secret', () => {
    const back = fromSecret(toSecret('tls', 'sys', initial, {}));
    expect(back).to.deep.equal(initial);
    expect(fromSecret({ metadata: { name: 'tls' }, data: {} })).to.equal(undefined);
  });

  it('patches only the webhooks whose caBundle differs, guarded by their names', () => {
    const bundle = initial.caCerts.join('');
    const b64 = Buffer.from(bundle).toString('base64');
    const config: WebhookConfiguration = {
      metadata: { name: 'x' },
      webhooks: [
        { name: 'a', clientConfig: { url: 'https://x/a', caBundle: b64 } },
        { name: 'b', clientConfig: { url: 'https://x/b' } },
      ],
    };
    const ops = caBundlePatch(config, bundle);
    expect(ops).to.deep.equal([
      { op: 'test', path: '/webhooks/1/name', value: 'b' },
      { op: 'add', path: '/webhooks/1/clientConfig/caBundle', value: b64 },
    ]);
    const fixed = applyPatch(config, ops);
    expect(trustsCa(fixed, initial.caCerts[0]!)).to.equal(true);
    expect(trustsServing(fixed, initial.servingCert)).to.equal(true);
    expect(trustsServing(config, initial.servingCert)).to.equal(false);
  });

  it('the webhook server swaps its certificate in place (no restart, same port)', async () => {
    const rotated = await applyStep(initial, { kind: 'renew-serving', reason: 'test' }, names, at(1000), timing);
    const server = new WebhookServer({ host: '127.0.0.1', port: 0, routes: {}, logger: silentLogger });
    const peer = (): Promise<string> =>
      new Promise((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port: server.port()!, ca: initial.caCerts[0], servername: names[0] }, () => {
          resolve(new X509Certificate(s.getPeerX509Certificate()!.raw).fingerprint256);
          s.end();
        });
        s.on('error', reject);
      });
    try {
      await server.useCertificate({ certPem: initial.servingCert, keyPem: initial.servingKey });
      const port = server.port();
      expect(await peer()).to.equal(inspect(initial.servingCert).fingerprint);
      await server.useCertificate({ certPem: rotated.servingCert, keyPem: rotated.servingKey });
      expect(await peer()).to.equal(inspect(rotated.servingCert).fingerprint);
      expect(server.port()).to.equal(port);
    } finally {
      await server.close();
    }
  });

  it('the webhook server answers a review larger than its limit with 400 and says why', async () => {
    const server = new WebhookServer({ host: '127.0.0.1', port: 0, routes: { '/mutate/pods': () => Promise.reject(new Error('not reached')) }, logger: silentLogger, maxBodyBytes: 1024 });
    try {
      await server.useCertificate({ certPem: initial.servingCert, keyPem: initial.servingKey });
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: server.port(), path: '/mutate/pods', method: 'POST', ca: initial.caCerts[0], servername: names[0] }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        });
        req.on('error', reject);
        req.end(JSON.stringify({ padding: 'x'.repeat(64 * 1024) }));
      });
      expect(answer.status).to.equal(400);
      expect(JSON.parse(answer.body)).to.deep.equal({ error: 'cannot read the AdmissionReview: body larger than 1024 bytes' });
    } finally {
      await server.close();
    }
  });
});
