import { expect } from 'chai';
import { formatPath } from '../../policy/problems.ts';
import { validatePolicy } from '../../policy/validate.ts';

type Obj = Record<string, unknown>;

/** A valid policy exercising every section; each case below breaks one thing in a copy. */
function base(): Obj {
  return {
    apiVersion: 'mcpresidency.io/v1alpha1',
    kind: 'MCPResidencyPolicy',
    metadata: { name: 'eu-crm', namespace: 'agents' },
    spec: {
      authentication: { mode: 'oidc', issuer: 'https://login.example.com/t/v2.0', audiences: ['api://crm-mcp'] },
      tools: {
        default: 'allow',
        rules: [
          { name: 'delete_*', action: 'deny' },
          { name: 'export_*', groups: ['privacy-officers'], action: 'approve' },
        ],
      },
      masking: {
        mode: 'pseudonymize',
        keySecret: { name: 'masking-key', key: 'key' },
        detectors: ['email', 'phone', 'iban'],
        custom: [{ name: 'EMPLOYEE_ID', pattern: 'EMP-[0-9]{6}' }],
        fields: ['$.customer.taxId'],
      },
      egress: {
        allowedRegions: ['westeurope', 'eu'],
        upstreams: [
          { name: 'aoai', url: 'https://contoso-weu.openai.azure.com', region: 'westeurope', credential: { secretName: 'aoai-key', key: 'api-key', header: 'api-key' } },
          { name: 'bedrock', url: 'https://bedrock-runtime.eu-central-1.amazonaws.com', region: 'eu-central-1' },
        ],
      },
      approval: { approverGroups: ['privacy-officers'], timeoutSeconds: 300 },
      audit: { payloads: 'masked', azureMonitor: { connectionStringSecret: { name: 'appinsights', key: 'connectionString' } } },
    },
  };
}

const spec = (p: Obj): Obj => p.spec as Obj;
const sec = (p: Obj, name: string): Obj => spec(p)[name] as Obj;
const rules = (p: Obj): Obj[] => sec(p, 'tools').rules as Obj[];
const ups = (p: Obj): Obj[] => sec(p, 'egress').upstreams as Obj[];
const custom = (p: Obj): Obj[] => sec(p, 'masking').custom as Obj[];

interface Case {
  what: string;
  mutate: (p: Obj) => void;
  path: string;
  message: RegExp;
}

const cases: Case[] = [
  { what: 'wrong apiVersion', mutate: (p) => (p.apiVersion = 'mcpresidency.io/v1'), path: 'apiVersion', message: /must be "mcpresidency.io\/v1alpha1"/ },
  { what: 'wrong kind', mutate: (p) => (p.kind = 'MCPPolicy'), path: 'kind', message: /must be "MCPResidencyPolicy"/ },
  { what: 'no metadata', mutate: (p) => delete p.metadata, path: 'metadata', message: /is required/ },
  { what: 'no name', mutate: (p) => delete (p.metadata as Obj).name, path: 'metadata.name', message: /is required/ },
  { what: 'name not a DNS name', mutate: (p) => ((p.metadata as Obj).name = 'EU_CRM'), path: 'metadata.name', message: /DNS subdomain/ },
  { what: 'bad namespace', mutate: (p) => ((p.metadata as Obj).namespace = 'Agents!'), path: 'metadata.namespace', message: /DNS label/ },
  { what: 'no spec', mutate: (p) => delete p.spec, path: 'spec', message: /is required/ },
  { what: 'misspelt section', mutate: (p) => (spec(p).tool = {}), path: 'spec.tool', message: /unknown field; did you mean "tools"\?/ },
  { what: 'unknown auth mode', mutate: (p) => (sec(p, 'authentication').mode = 'oauth'), path: 'spec.authentication.mode', message: /"oauth" is not one of "oidc", "none"/ },
  { what: 'oidc without issuer', mutate: (p) => delete sec(p, 'authentication').issuer, path: 'spec.authentication.issuer', message: /required when authentication.mode is oidc/ },
  { what: 'no authentication section', mutate: (p) => delete spec(p).authentication, path: 'spec.authentication', message: /is required/ },
  { what: 'oidc by default without issuer', mutate: (p) => (spec(p).authentication = { audiences: ['x'] }), path: 'spec.authentication.issuer', message: /required/ },
  { what: 'oidc without audiences', mutate: (p) => (sec(p, 'authentication').audiences = []), path: 'spec.authentication.audiences', message: /at least one audience/ },
  { what: 'audiences not a list', mutate: (p) => (sec(p, 'authentication').audiences = 'api://crm'), path: 'spec.authentication.audiences', message: /must be a list, got a string/ },
  { what: 'issuer over plain http', mutate: (p) => (sec(p, 'authentication').issuer = 'http://login.example.com'), path: 'spec.authentication.issuer', message: /uses http; only https/ },
  { what: 'issuer not a URL', mutate: (p) => (sec(p, 'authentication').issuer = 'login.example.com'), path: 'spec.authentication.issuer', message: /not an absolute URL/ },
  { what: 'jwksUri with credentials', mutate: (p) => (sec(p, 'authentication').jwksUri = 'https://u:p@login.example.com/keys'), path: 'spec.authentication.jwksUri', message: /must not carry credentials/ },
  { what: 'mode none with leftovers', mutate: (p) => (sec(p, 'authentication').mode = 'none'), path: 'spec.authentication.mode', message: /turns authentication off, but issuer, audiences are set/ },
  { what: 'origin with a path', mutate: (p) => (sec(p, 'authentication').allowedOrigins = ['https://chat.example.com/app']), path: 'spec.authentication.allowedOrigins[0]', message: /is not an origin/ },
  { what: 'empty groups claim', mutate: (p) => (sec(p, 'authentication').groupsClaim = ''), path: 'spec.authentication.groupsClaim', message: /must not be empty/ },
  { what: 'unknown tools default', mutate: (p) => (sec(p, 'tools').default = 'permit'), path: 'spec.tools.default', message: /"permit" is not one of "allow", "deny"/ },
  { what: 'rule without action', mutate: (p) => delete rules(p)[0]!.action, path: 'spec.tools.rules[0].action', message: /is required/ },
  { what: 'unknown rule action', mutate: (p) => (rules(p)[1]!.action = 'block'), path: 'spec.tools.rules[1].action', message: /"block" is not one of "allow", "deny", "approve"/ },
  { what: 'unclosed glob class', mutate: (p) => (rules(p)[0]!.name = 'delete_[abc'), path: 'spec.tools.rules[0].name', message: /invalid glob: .*never closed/ },
  { what: 'glob with trailing escape', mutate: (p) => (rules(p)[0]!.name = 'delete_\\'), path: 'spec.tools.rules[0].name', message: /escapes nothing/ },
  { what: 'reversed glob range', mutate: (p) => (rules(p)[0]!.name = 'x[z-a]'), path: 'spec.tools.rules[0].name', message: /reversed/ },
  { what: 'unknown pinning mode', mutate: (p) => (sec(p, 'tools').pinning = 'strict'), path: 'spec.tools.pinning', message: /"strict" is not one of "off", "audit", "enforce"/ },
  { what: 'pin that is not a sha256 fingerprint', mutate: (p) => (sec(p, 'tools').pins = [{ name: 'a', fingerprint: 'md5:00' }]), path: 'spec.tools.pins[0].fingerprint', message: /must be sha256: followed by 64 lowercase hex digits/ },
  {
    what: 'one tool pinned twice',
    mutate: (p) => (sec(p, 'tools').pins = [{ name: 'a', fingerprint: `sha256:${'1'.repeat(64)}` }, { name: 'a', fingerprint: `sha256:${'2'.repeat(64)}` }]),
    path: 'spec.tools.pins[1].name',
    message: /duplicate "a" \(already at index 0\)/,
  },
  { what: 'rule with empty groups', mutate: (p) => (rules(p)[0]!.groups = []), path: 'spec.tools.rules[0].groups', message: /matches nobody/ },
  { what: 'rule after a catch-all', mutate: (p) => rules(p).unshift({ name: '*', action: 'allow' }), path: 'spec.tools.rules[1]', message: /never used: rules\[0\] matches every tool/ },
  { what: 'approve rule without approval', mutate: (p) => delete spec(p).approval, path: 'spec.approval', message: /required because tools.rules\[1\] has action approve/ },
  { what: 'no approver groups', mutate: (p) => (sec(p, 'approval').approverGroups = []), path: 'spec.approval.approverGroups', message: /at least one entry/ },
  { what: 'approval timeout too short', mutate: (p) => (sec(p, 'approval').timeoutSeconds = 5), path: 'spec.approval.timeoutSeconds', message: /5 is below the minimum of 10/ },
  { what: 'approval timeout as a string', mutate: (p) => (sec(p, 'approval').timeoutSeconds = '300'), path: 'spec.approval.timeoutSeconds', message: /must be an integer, got a string "300"/ },
  { what: 'unknown masking mode', mutate: (p) => (sec(p, 'masking').mode = 'hash'), path: 'spec.masking.mode', message: /"hash" is not one of "redact", "pseudonymize"/ },
  { what: 'pseudonymize without a key', mutate: (p) => delete sec(p, 'masking').keySecret, path: 'spec.masking.keySecret', message: /required when mode is pseudonymize/ },
  { what: 'key secret name not a DNS name', mutate: (p) => ((sec(p, 'masking').keySecret as Obj).name = 'Masking_Key'), path: 'spec.masking.keySecret.name', message: /DNS subdomain/ },
  { what: 'unknown detector', mutate: (p) => (sec(p, 'masking').detectors = ['email', 'fingerprint']), path: 'spec.masking.detectors[1]', message: /"fingerprint" is not one of/ },
  { what: 'misspelt detector', mutate: (p) => (sec(p, 'masking').detectors = ['creditcard']), path: 'spec.masking.detectors[0]', message: /did you mean "creditCard"\?/ },
  { what: 'duplicate detector', mutate: (p) => (sec(p, 'masking').detectors = ['email', 'iban', 'email']), path: 'spec.masking.detectors[2]', message: /duplicate "email" \(already at index 0\)/ },
  { what: 'custom name in lower case', mutate: (p) => (custom(p)[0]!.name = 'employee_id'), path: 'spec.masking.custom[0].name', message: /UPPER_SNAKE_CASE/ },
  { what: 'custom name of a built-in type', mutate: (p) => (custom(p)[0]!.name = 'EMAIL'), path: 'spec.masking.custom[0].name', message: /"EMAIL" is a built-in type/ },
  { what: 'duplicate custom name', mutate: (p) => custom(p).push({ name: 'EMPLOYEE_ID', pattern: 'E[0-9]{4}' }), path: 'spec.masking.custom[1].name', message: /duplicate "EMPLOYEE_ID"/ },
  { what: 'pattern with a syntax error', mutate: (p) => (custom(p)[0]!.pattern = 'EMP-[0-9'), path: 'spec.masking.custom[0].pattern', message: /invalid regular expression at offset/ },
  { what: 'pattern with a backreference', mutate: (p) => (custom(p)[0]!.pattern = '(\\w+)-\\1'), path: 'spec.masking.custom[0].pattern', message: /backreference \\1 is not allowed/ },
  { what: 'pattern with lookahead', mutate: (p) => (custom(p)[0]!.pattern = '(?=EMP)EMP-[0-9]+'), path: 'spec.masking.custom[0].pattern', message: /lookahead .* is not allowed/ },
  { what: 'pattern with lookbehind', mutate: (p) => (custom(p)[0]!.pattern = '(?<=id:)[0-9]+'), path: 'spec.masking.custom[0].pattern', message: /lookbehind .* is not allowed/ },
  { what: 'pattern with a huge repetition', mutate: (p) => (custom(p)[0]!.pattern = 'a{5000}'), path: 'spec.masking.custom[0].pattern', message: /exceeds the limit of 100/ },
  { what: 'pattern matching the empty string', mutate: (p) => (custom(p)[0]!.pattern = '[0-9]*'), path: 'spec.masking.custom[0].pattern', message: /can match the empty string/ },
  { what: 'field path without $', mutate: (p) => (sec(p, 'masking').fields = ['customer.taxId']), path: 'spec.masking.fields[0]', message: /invalid JSONPath: .*must start with "\$"/ },
  { what: 'field path with a filter', mutate: (p) => (sec(p, 'masking').fields = ['$.a', '$.items[?(@.x)]']), path: 'spec.masking.fields[1]', message: /unsupported selector/ },
  { what: 'unknown allowed region', mutate: (p) => (sec(p, 'egress').allowedRegions = ['westeuropa']), path: 'spec.egress.allowedRegions[0]', message: /"westeuropa" is not a known region or geography; did you mean "westeurope"\?/ },
  { what: 'upstreams not a list', mutate: (p) => (sec(p, 'egress').upstreams = { name: 'aoai' }), path: 'spec.egress.upstreams', message: /must be a list, got a map/ },
  { what: 'upstream name not a DNS label', mutate: (p) => (ups(p)[0]!.name = 'AOAI'), path: 'spec.egress.upstreams[0].name', message: /DNS label/ },
  { what: 'duplicate upstream name', mutate: (p) => (ups(p)[1]!.name = 'aoai'), path: 'spec.egress.upstreams[1].name', message: /duplicate "aoai" \(already at index 0\)/ },
  { what: 'upstream over plain http', mutate: (p) => (ups(p)[0]!.url = 'http://contoso-weu.openai.azure.com'), path: 'spec.egress.upstreams[0].url', message: /uses http; only https/ },
  { what: 'upstream URL with a query', mutate: (p) => (ups(p)[0]!.url = 'https://contoso-weu.openai.azure.com/?api-version=1'), path: 'spec.egress.upstreams[0].url', message: /must not have a query/ },
  { what: 'upstream URL with credentials', mutate: (p) => (ups(p)[0]!.url = 'https://key:secret@contoso-weu.openai.azure.com'), path: 'spec.egress.upstreams[0].url', message: /must not carry credentials/ },
  { what: 'upstream URL of another scheme', mutate: (p) => (ups(p)[0]!.url = 'ftp://files.example.com'), path: 'spec.egress.upstreams[0].url', message: /must be an https URL/ },
  { what: 'unknown upstream region', mutate: (p) => (ups(p)[1]!.region = 'mars-1'), path: 'spec.egress.upstreams[1].region', message: /"mars-1" is not a known region/ },
  { what: 'geography as an upstream region', mutate: (p) => (ups(p)[0]!.region = 'eu'), path: 'spec.egress.upstreams[0].region', message: /"eu" is not a known region/ },
  { what: 'region contradicting the host', mutate: (p) => (ups(p)[1]!.region = 'eu-west-1'), path: 'spec.egress.upstreams[1].region', message: /contradicts the host bedrock-runtime.eu-central-1.amazonaws.com/ },
  { what: 'upstream without region', mutate: (p) => delete ups(p)[0]!.region, path: 'spec.egress.upstreams[0].region', message: /is required/ },
  { what: 'misspelt upstream field', mutate: (p) => (ups(p)[0]!.regoin = 'x'), path: 'spec.egress.upstreams[0].regoin', message: /unknown field; did you mean "region"\?/ },
  { what: 'credential in the Host header', mutate: (p) => ((ups(p)[0]!.credential as Obj).header = 'Host'), path: 'spec.egress.upstreams[0].credential.header', message: /frames or routes the request/ },
  { what: 'credential header with a space', mutate: (p) => ((ups(p)[0]!.credential as Obj).header = 'api key'), path: 'spec.egress.upstreams[0].credential.header', message: /must be an HTTP header name/ },
  { what: 'credential without secret name', mutate: (p) => delete (ups(p)[0]!.credential as Obj).secretName, path: 'spec.egress.upstreams[0].credential.secretName', message: /is required/ },
  { what: 'credential with both a Secret and workload identity', mutate: (p) => ((ups(p)[0]!.credential as Obj).workloadIdentity = { scope: 'https://cognitiveservices.azure.com/.default' }), path: 'spec.egress.upstreams[0].credential.workloadIdentity', message: /either secretName and key, or workloadIdentity, not both/ },
  { what: 'workload identity without a scope', mutate: (p) => (ups(p)[0]!.credential = { workloadIdentity: {} }), path: 'spec.egress.upstreams[0].credential.workloadIdentity.scope', message: /is required/ },
  { what: 'unknown azure monitor authentication', mutate: (p) => ((sec(p, 'audit').azureMonitor as Obj).authentication = 'aad'), path: 'spec.audit.azureMonitor.authentication', message: /"aad" is not one of "instrumentationKey", "workloadIdentity"/ },
  { what: 'unknown notify target type', mutate: (p) => (sec(p, 'approval').notify = [{ type: 'slack', urlSecret: { name: 's', key: 'url' } }]), path: 'spec.approval.notify[0].type', message: /"slack" is not one of "teams", "webhook"/ },
  { what: 'notify target without a URL Secret', mutate: (p) => (sec(p, 'approval').notify = [{ type: 'teams' }]), path: 'spec.approval.notify[0].urlSecret', message: /is required/ },
  { what: 'unknown tunnels setting', mutate: (p) => (sec(p, 'egress').tunnels = 'maybe'), path: 'spec.egress.tunnels', message: /"maybe" is not one of "allow", "deny"/ },
  { what: 'unknown audit payloads', mutate: (p) => (sec(p, 'audit').payloads = 'full'), path: 'spec.audit.payloads', message: /"full" is not one of "masked", "metadata"/ },
  { what: 'azure monitor without a secret', mutate: (p) => (sec(p, 'audit').azureMonitor = {}), path: 'spec.audit.azureMonitor.connectionStringSecret', message: /is required/ },
  { what: 'too many rules', mutate: (p) => (sec(p, 'tools').rules = Array.from({ length: 257 }, (_, i) => ({ name: `t${i}`, action: 'deny' }))), path: 'spec.tools.rules', message: /has 257 entries; the limit is 256/ },
  { what: 'a policy that is not a map', mutate: (p) => (spec(p).masking = ['redact']), path: 'spec.masking', message: /must be a map, got a list/ },
];

describe('policy validation', () => {
  it('resolves an Entra ID credential, Entra ID shipping and notify targets', () => {
    const p = base();
    ups(p)[0]!.credential = { workloadIdentity: { scope: 'https://cognitiveservices.azure.com/.default' } };
    (sec(p, 'audit').azureMonitor as Obj).authentication = 'workloadIdentity';
    sec(p, 'approval').notify = [{ type: 'teams', urlSecret: { name: 'teams', key: 'url' } }];
    const { policy, problems } = validatePolicy(p);
    expect(problems.filter((x) => x.severity === 'error')).to.deep.equal([]);
    expect(policy!.egress.upstreams[0]!.credential).to.deep.equal({ kind: 'workloadIdentity', scope: 'https://cognitiveservices.azure.com/.default', header: 'Authorization', scheme: 'Bearer' });
    expect(policy!.audit.azureMonitor).to.deep.equal({ connectionStringSecret: { name: 'appinsights', key: 'connectionString' }, authentication: 'workloadIdentity' });
    expect(policy!.approval!.notify).to.deep.equal([{ type: 'teams', urlSecret: { name: 'teams', key: 'url' } }]);
    expect(validatePolicy(base()).policy!.audit.azureMonitor!.authentication).to.equal('instrumentationKey');
  });

  it('accepts the base policy of the table', () => {
    const result = validatePolicy(base());
    expect(result.problems.filter((p) => p.severity === 'error')).to.deep.equal([]);
    expect(result.policy?.name).to.equal('eu-crm');
  });

  it('has at least 40 invalid cases', () => {
    expect(cases.length).to.be.at.least(40);
  });

  for (const c of cases) {
    it(`refuses ${c.what}: ${c.path}`, () => {
      const p = base();
      c.mutate(p);
      const { problems, policy } = validatePolicy(p);
      expect(policy, 'an invalid policy must not resolve').to.equal(undefined);
      const errors = problems.filter((x) => x.severity === 'error').map((x) => `${formatPath(x.segments)}: ${x.message}`);
      const hit = errors.find((e) => e.startsWith(`${c.path}: `));
      expect(hit, `no error at ${c.path}; got:\n  ${errors.join('\n  ')}`).to.be.a('string');
      expect(hit).to.match(c.message);
    });
  }

  it('reports problems in several sections in one run', () => {
    const p = base();
    spec(p).tool = {};
    ups(p)[1]!.region = 'mars-1';
    custom(p)[0]!.pattern = '(a)\\1';
    const paths = validatePolicy(p).problems.map((x) => formatPath(x.segments));
    expect(paths).to.include.members(['spec.tool', 'spec.egress.upstreams[1].region', 'spec.masking.custom[0].pattern']);
  });

  it('treats null like an absent field, as the API server does', () => {
    const p = base();
    sec(p, 'masking').mode = null;
    sec(p, 'masking').keySecret = null;
    const { policy, problems } = validatePolicy(p);
    expect(problems.filter((x) => x.severity === 'error')).to.deep.equal([]);
    expect(policy?.masking.mode).to.equal('redact');
  });

  it('warns, without failing, about an upstream outside the allowed regions', () => {
    const p = base();
    sec(p, 'egress').allowedRegions = ['westeurope'];
    const { policy, problems } = validatePolicy(p);
    expect(policy).to.not.equal(undefined);
    const warning = problems.find((x) => x.severity === 'warning');
    expect(formatPath(warning!.segments)).to.equal('spec.egress.upstreams[1].region');
    expect(warning!.message).to.match(/eu-central-1 .* is outside allowedRegions/);
  });

  it('warns when pinning is on but nobody can approve a changed tool', () => {
    const p = base();
    sec(p, 'tools').rules = [];
    sec(p, 'tools').pinning = 'enforce';
    delete spec(p).approval;
    const { policy, problems } = validatePolicy(p);
    expect(policy?.tools.pinning).to.equal('enforce');
    expect(problems.map((x) => [x.severity, formatPath(x.segments), x.message])).to.deep.include([
      'warning',
      'spec.tools.pinning',
      'is enforce but approval.approverGroups is not set, so a changed tool can only be pinned in tools.pins',
    ]);
  });

  it('warns when authentication is off on purpose', () => {
    const p = base();
    spec(p).authentication = { mode: 'none' };
    const { policy, problems } = validatePolicy(p);
    expect(policy?.authentication.mode).to.equal('none');
    expect(problems.map((x) => x.message).join()).to.match(/any caller .* can use every allowed tool/);
  });

  it('refuses things that are not policies at all', () => {
    for (const value of [null, 'text', 42, []]) {
      const { problems, policy } = validatePolicy(value);
      expect(policy).to.equal(undefined);
      expect(problems[0]!.message).to.match(/a policy must be a map/);
    }
  });
});
