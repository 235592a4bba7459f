import { expect } from 'chai';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadPolicyFile } from '../../policy/load.ts';
import { openAuditLog } from '../../sidecar/audit/log.ts';
import { Masker, MaskReport, maskingConfigFromPolicy } from '../../sidecar/masking/engine.ts';
import { audit } from './support/cli.ts';
import { cleanupDirs, tempDir } from './support/helpers.ts';

const KEY = 'person-search-key-0c1d2e3f';

describe('mcp-residency audit search --subject "Jane Doe" (a person)', () => {
  let dir: string;
  let secrets: string;
  let policyFile: string;

  before(async () => {
    const root = await tempDir();
    dir = join(root, 'audit');
    secrets = join(root, 'secrets');
    await mkdir(join(secrets, 'masking-key'), { recursive: true });
    await writeFile(join(secrets, 'masking-key', 'key'), KEY);
    policyFile = join(root, 'policy.yaml');
    await writeFile(
      policyFile,
      'apiVersion: mcpresidency.io/v1alpha1\nkind: MCPResidencyPolicy\nmetadata: { name: crm }\nspec:\n  authentication: { mode: none }\n  masking: { mode: pseudonymize, keySecret: { name: masking-key, key: key } }\n',
    );
    const policy = (await loadPolicyFile(policyFile)).policies[0]!;
    const masker = new Masker(maskingConfigFromPolicy(policy.masking, Buffer.from(KEY)));
    const log = await openAuditLog({ dir });
    const results = [
      { customer: { name: 'Jane Doe', email: 'jane@example.com' } },
      { customer: { firstName: 'Lars', lastName: 'Jensen' } },
      { text: 'Ticket assigned to Jane Doe yesterday.' },
      { text: 'Dear Ms Doe, your order has shipped.' },
      { customer: { fullName: 'JANE  DOE' } },
      { customer: { fullName: 'Jäne Doe' } },
      { text: 'Ticket assigned to Lars Jensen.' },
    ];
    for (const result of results) {
      const report = new MaskReport();
      await log.append({ kind: 'mcp', principal: { sub: 'agent-7' }, decision: 'allow', method: 'tools/call', tool: 'crm', masked: report.countsObject(), payload: { result: masker.maskJson(result, report) } });
    }
    await log.close();
  });
  after(cleanupDirs);

  const seqs = (stdout: string): number[] => stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { seq: number }).seq);

  it('finds the records that hold the person, written with any case, spacing or diacritics, or by surname after a title', async () => {
    const r = await audit(['search', dir, '--subject', 'jane   doe', '--policy', policyFile, '--secrets-dir', secrets]);
    expect(r.code, r.stderr).to.equal(0);
    expect(seqs(r.stdout)).to.deep.equal([1, 3, 4, 5, 6]);
    expect(r.stdout).to.not.match(/Jane|Doe/u);
  });

  it('does not confuse one person with another', async () => {
    const r = await audit(['search', dir, '--subject', 'Lars Jensen', '--policy', policyFile, '--secrets-dir', secrets]);
    expect(seqs(r.stdout)).to.deep.equal([2, 7]);
  });
});
