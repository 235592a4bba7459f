// The operator's pure decisions: policy status, pod accounting, the sidecar RBAC, and the
// policy admission rules.
import { expect } from 'chai';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pod } from '../../kube/core.ts';
import { admitPolicy } from '../../operator/admission/policies.ts';
import { checkPolicy } from '../../operator/policies/check.ts';
import { countPods, summarizePod } from '../../operator/reconcile/pods.ts';
import { bindingUpToDate, desiredBinding, desiredRole, roleUpToDate } from '../../operator/reconcile/rbac.ts';
import { desiredStatus, sameStatus } from '../../operator/reconcile/status.ts';
import { goldenDir } from './support.ts';

const policyYaml = (): Record<string, unknown> => parse(readFileSync(join(goldenDir, 'policy.yaml'), 'utf8')) as Record<string, unknown>;
const badPolicy = (): Record<string, unknown> => {
  const p = policyYaml() as { spec: { egress: { upstreams: { region: string }[] } } };
  p.spec.egress.upstreams[0]!.region = 'mars-1';
  return p;
};

describe('operator decisions', () => {
  it('policy status: Ready=True when valid, False/Invalid with the validation message otherwise', () => {
    const now = new Date('2026-05-01T10:00:00Z');
    const ok = desiredStatus(3, checkPolicy(policyYaml()), { enforcing: 2, unprotected: 1 }, undefined, now);
    expect(ok).to.deep.include({ observedGeneration: 3, enforcingPods: 2, unprotectedPods: 1 });
    expect(ok.conditions![0]).to.include({ type: 'Ready', status: 'True', reason: 'Valid', lastTransitionTime: '2026-05-01T10:00:00Z', observedGeneration: 3 });

    const bad = checkPolicy(badPolicy());
    const invalid = desiredStatus(4, bad, { enforcing: 2, unprotected: 1 }, ok, new Date('2026-05-01T11:00:00Z'));
    expect(invalid.conditions![0]).to.include({ status: 'False', reason: 'Invalid', lastTransitionTime: '2026-05-01T11:00:00Z' });
    expect(invalid.conditions![0]!.message).to.match(/^spec\.egress\.upstreams\[0\]\.region: "mars-1" is not a known region/);
  });

  it('policy status: lastTransitionTime moves only when the condition status does; equal statuses are not rewritten', () => {
    const first = desiredStatus(1, checkPolicy(policyYaml()), { enforcing: 0, unprotected: 0 }, undefined, new Date('2026-05-01T10:00:00Z'));
    const later = desiredStatus(2, checkPolicy(policyYaml()), { enforcing: 1, unprotected: 0 }, first, new Date('2026-05-02T10:00:00Z'));
    expect(later.conditions![0]!.lastTransitionTime).to.equal('2026-05-01T10:00:00Z');
    const again = desiredStatus(2, checkPolicy(policyYaml()), { enforcing: 1, unprotected: 0 }, later, new Date('2026-05-03T10:00:00Z'));
    expect(sameStatus(JSON.parse(JSON.stringify(later)), again)).to.equal(true);
    expect(sameStatus(later, { ...again, enforcingPods: 2 })).to.equal(false);
  });

  it('counts enforcing and unprotected pods; terminated pods count as neither', () => {
    const pod = (name: string, sidecar: boolean, phase = 'Running', capture = sidecar): Pod =>
      ({
        metadata: { name, namespace: 'a', uid: name, annotations: { 'mcpresidency.io/policy': 'eu' } },
        spec: {
          containers: [{ name: 'app' }],
          ...(sidecar ? { initContainers: [...(capture ? [{ name: 'mcp-residency-init' }] : []), { name: 'mcp-residency-proxy' }] } : {}),
        },
        status: { phase },
      }) as Pod;
    const summaries = [pod('a', true), pod('b', true, 'Succeeded'), pod('c', false), pod('d', false, 'Failed')].map((p) => summarizePod(p)!);
    expect(countPods(summaries)).to.deep.equal({ enforcing: 1, unprotected: 1 });
    // A sidecar without capture (mcpresidency.io/capture: "false") is unprotected: traffic can go around it.
    const optOut = summarizePod(pod('e', true, 'Running', false))!;
    expect(optOut).to.include({ protected: false, captureOptOut: true });
    expect(countPods([...summaries, optOut])).to.deep.equal({ enforcing: 1, unprotected: 2 });
    expect(summarizePod({ metadata: { name: 'x' }, spec: { containers: [] } } as unknown as Pod)).to.equal(undefined);
  });

  it('sidecar RBAC: one Role, bound to the distinct service accounts, compared regardless of order', () => {
    const b = desiredBinding('a', 'mcp-residency-sidecar', ['web', 'api', 'web']);
    expect(b.subjects).to.deep.equal([
      { kind: 'ServiceAccount', name: 'api', namespace: 'a' },
      { kind: 'ServiceAccount', name: 'web', namespace: 'a' },
    ]);
    const stored = { ...b, subjects: [...b.subjects!].reverse(), metadata: { ...b.metadata, labels: { ...b.metadata.labels, extra: 'x' } } };
    expect(bindingUpToDate(stored, b)).to.equal(true);
    expect(bindingUpToDate({ ...stored, subjects: stored.subjects.slice(1) }, b)).to.equal(false);
    const role = desiredRole('a', 'mcp-residency-sidecar');
    const fromServer = { ...role, rules: role.rules.map((r) => ({ verbs: [...r.verbs].reverse(), resources: r.resources, apiGroups: r.apiGroups })) };
    expect(roleUpToDate(fromServer, role)).to.equal(true);
  });

  it('policy admission: refuses invalid specs, lets metadata-only updates and deletions of stored invalid policies through', () => {
    const req = (operation: 'CREATE' | 'UPDATE', object: unknown, oldObject?: unknown) => ({
      uid: 'u',
      kind: { group: 'mcpresidency.io', version: 'v1alpha1', kind: 'MCPResidencyPolicy' },
      resource: { group: 'mcpresidency.io', version: 'v1alpha1', resource: 'mcpresidencypolicies' },
      operation,
      object,
      oldObject,
    });
    const denied = admitPolicy(req('CREATE', badPolicy()));
    expect(denied.response.allowed).to.equal(false);
    expect(denied.response.status).to.include({ code: 422, reason: 'Invalid' });
    expect(denied.response.status!.message).to.include('MCPResidencyPolicy "eu-crm" is invalid: spec.egress.upstreams[0].region: "mars-1" is not a known region');
    expect(admitPolicy(req('CREATE', policyYaml())).response.allowed).to.equal(true);

    const labelled = { ...badPolicy(), metadata: { name: 'eu-crm', labels: { team: 'a' } } };
    expect(admitPolicy(req('UPDATE', labelled, badPolicy())).response.allowed, 'spec unchanged').to.equal(true);
    const deleting = { ...badPolicy(), metadata: { name: 'eu-crm', deletionTimestamp: '2026-01-01T00:00:00Z' } };
    expect(admitPolicy(req('UPDATE', deleting, policyYaml())).response.allowed).to.equal(true);
    expect(admitPolicy(req('UPDATE', badPolicy(), policyYaml())).response.allowed, 'a spec change is judged').to.equal(false);
  });
});
