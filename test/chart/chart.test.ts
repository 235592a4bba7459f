// charts/mcp-residency: its files (CRD copies, versions, documented values) without helm, then
// `helm lint` and `helm template` with the real helm, asserted on the rendered objects: names
// that agree with the operator's flags, RBAC equal to operator/rbac-requirements.ts, the webhook
// entries and their failure policies, probes, security context, PDB, ServiceMonitor, approvers.
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { operatorCommand } from '../../cli/commands/operator.ts';
import { ANNOTATION_POLICY, SIDECAR_UID, SYSTEM_NAMESPACES } from '../../operator/inject/constants.ts';
import { checkQuantity, parseAddress, parseLevel } from '../../operator/options.ts';
import { operatorClusterRules, operatorNamespaceRules, type RbacNames } from '../../operator/rbac-requirements.ts';
import { WEBHOOK_PATHS } from '../../operator/run.ts';
import { API_GROUP } from '../../policy/schema.ts';
import { CONTROL_PLANE_TIMEOUT_MS, ensureBinaries } from '../support/controlplane.ts';
import {
  chartDir,
  flagMap,
  helmTemplate,
  normalizeRules,
  repoRoot,
  runHelm,
  valuesFile,
  type Binding,
  type Deployment,
  type Pdb,
  type Rendered,
  type RoleLike,
  type Service,
  type ServiceMonitor,
  type WebhookConfig,
} from './render.ts';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
const chart = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as { apiVersion: string; name: string; version: string; appVersion: string; kubeVersion: string };
const defaults = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as { image: { repository: string } };
const NAME_LABEL = 'kubernetes.io/metadata.name';

describe('chart files', () => {
  it('ships crds/*.yaml byte for byte in charts/mcp-residency/crds/', () => {
    const want = readdirSync(join(repoRoot, 'crds')).filter((f) => f.endsWith('.yaml')).sort();
    const have = readdirSync(join(chartDir, 'crds')).sort();
    const refresh = 'refresh them with: make crds';
    expect(have, `the chart's CRD files differ from crds/; ${refresh}`).to.deep.equal(want);
    for (const f of want) {
      const same = readFileSync(join(repoRoot, 'crds', f)).equals(readFileSync(join(chartDir, 'crds', f)));
      expect(same, `charts/mcp-residency/crds/${f} differs from crds/${f}; ${refresh}`).to.equal(true);
    }
  });

  it('is a v2 chart whose appVersion is the package version, and whose default image is the operator\'s default sidecar image', () => {
    expect(chart.apiVersion).to.equal('v2');
    expect(chart.name).to.equal('mcp-residency');
    expect(chart.appVersion, 'Chart.yaml appVersion must follow package.json version').to.equal(pkg.version);
    expect(`${defaults.image.repository}:${chart.appVersion}`).to.equal(operatorCommand.flags['sidecar-image']!.default);
  });

  it('documents every value in values.yaml with a comment', () => {
    // A key is documented by a comment right above it, or by a documented parent (a block such
    // as `resources:` documented as a whole).
    const undocumented: string[] = [];
    const stack: { indent: number; documented: boolean }[] = [];
    let previous = '';
    for (const line of readFileSync(join(chartDir, 'values.yaml'), 'utf8').split('\n')) {
      const m = /^(\s*)([A-Za-z][\w.-]*):/u.exec(line);
      if (m) {
        const indent = m[1]!.length;
        while (stack.length && stack[stack.length - 1]!.indent >= indent) stack.pop();
        const documented = previous.trimStart().startsWith('#') || stack.some((s) => s.documented);
        stack.push({ indent, documented });
        const leaf = line.slice(m[0].length).trim() !== '';
        if (leaf && !documented) undocumented.push(line.trim());
      }
      if (line.trim() !== '') previous = line;
    }
    expect(undocumented, 'values without a comment').to.deep.equal([]);
  });
});

/** the names the operator is told about, read from the rendered Deployment's flags */
function rbacNames(flags: Map<string, string>): RbacNames {
  return {
    mutatingWebhookConfigs: [flags.get('mutating-webhook-configurations')!],
    validatingWebhookConfigs: [flags.get('validating-webhook-configurations')!],
    tlsSecret: flags.get('tls-secret')!,
    leaseName: flags.get('leader-election-lease')!,
  };
}

function operatorOf(r: Rendered): { deployment: Deployment; flags: Map<string, string> } {
  const deployment = r.one<Deployment>('Deployment');
  const container = deployment.spec.template.spec.containers[0]!;
  return { deployment, flags: flagMap(container.args ?? []) };
}

/** What every rendering must satisfy, whatever the values. */
function checkConsistency(r: Rendered, release: string, namespace: string): void {
  const { deployment, flags } = operatorOf(r);
  const pod = deployment.spec.template;
  const container = pod.spec.containers[0]!;

  // Every object labelled the standard way; namespaced ones in the release namespace.
  for (const o of r.objects) {
    const labels = o.metadata.labels ?? {};
    expect(labels['app.kubernetes.io/instance'], `${o.kind}/${o.metadata.name}`).to.equal(release);
    expect(labels['app.kubernetes.io/managed-by'], `${o.kind}/${o.metadata.name}`).to.equal('Helm');
    expect(labels, `${o.kind}/${o.metadata.name}`).to.include.keys('app.kubernetes.io/name', 'app.kubernetes.io/version', 'helm.sh/chart');
    const clusterScoped = ['ClusterRole', 'ClusterRoleBinding', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'].includes(o.kind!);
    expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).to.equal(clusterScoped ? undefined : namespace);
  }

  // The arguments are `operator` and flags the command knows, with values it accepts.
  expect(container.command, 'the image entrypoint runs the CLI').to.equal(undefined);
  expect(container.args![0]).to.equal('operator');
  for (const a of container.args!.slice(1)) expect(a, 'a --flag[=value] argument').to.match(/^--[a-z0-9-]+(=|$)/u);
  for (const [name, value] of flags) {
    const spec = operatorCommand.flags[name];
    expect(spec, `--${name} is not a flag of mcp-residency operator`).to.not.equal(undefined);
    if (spec!.type === 'boolean') expect(value, `--${name} takes no value`).to.equal('');
  }
  expect(flags.has('leader-elect'), '--leader-elect').to.equal(true);
  parseLevel('log-level', flags.get('log-level')!);
  parseLevel('sidecar-log-level', flags.get('sidecar-log-level')!);
  for (const q of ['sidecar-cpu-request', 'sidecar-memory-request', 'sidecar-memory-limit', 'sidecar-audit-size-limit']) checkQuantity(q, flags.get(q)!);
  const webhookListen = parseAddress('webhook-listen', flags.get('webhook-listen')!);
  const adminListen = parseAddress('admin-listen', flags.get('admin-listen')!);

  // Ports, probes, env.
  const port = (name: string): number => container.ports!.find((p) => p.name === name)!.containerPort;
  expect(port('webhook')).to.equal(webhookListen.port);
  expect(port('admin')).to.equal(adminListen.port);
  expect(container.livenessProbe?.httpGet).to.deep.include({ path: '/healthz', port: 'admin' });
  expect(container.readinessProbe?.httpGet).to.deep.include({ path: '/readyz', port: 'admin' });
  expect(container.startupProbe?.httpGet).to.deep.include({ path: '/healthz', port: 'admin' });
  expect(container.env).to.deep.include({ name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } });
  expect(container.env).to.deep.include({ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });

  // Non-root as the image's user, read-only, no capabilities, RuntimeDefault seccomp.
  expect(pod.spec.securityContext).to.deep.equal({ runAsNonRoot: true, runAsUser: SIDECAR_UID, runAsGroup: SIDECAR_UID, seccompProfile: { type: 'RuntimeDefault' } });
  expect(container.securityContext).to.deep.equal({ allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  expect(container.resources?.requests).to.include.keys('cpu', 'memory');
  expect(container.resources?.limits).to.include.keys('memory');

  // The selector picks the pod template; rollouts never go below the current count.
  const podLabels = pod.metadata.labels ?? {};
  expect(podLabels).to.deep.include(deployment.spec.selector.matchLabels!);
  expect(deployment.spec.strategy?.rollingUpdate?.maxUnavailable).to.equal(0);

  // The ServiceAccount, bound to exactly the rules of operator/rbac-requirements.ts.
  const sa = pod.spec.serviceAccountName!;
  r.one('ServiceAccount', sa);
  const names = rbacNames(flags);
  const clusterRole = r.all<RoleLike>('ClusterRole').find((c) => c.metadata.name?.endsWith('-operator'))!;
  expect(normalizeRules(clusterRole.rules), 'ClusterRole rules = operatorClusterRules()').to.deep.equal(normalizeRules(operatorClusterRules(names)));
  const role = r.one<RoleLike>('Role');
  expect(normalizeRules(role.rules), 'Role rules = operatorNamespaceRules()').to.deep.equal(normalizeRules(operatorNamespaceRules(names)));
  const crb = r.all<Binding>('ClusterRoleBinding').find((b) => b.roleRef.name === clusterRole.metadata.name)!;
  const rb = r.one<Binding>('RoleBinding');
  expect(rb.roleRef).to.deep.equal({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
  for (const b of [crb, rb]) expect(b.subjects).to.deep.equal([{ kind: 'ServiceAccount', name: sa, namespace }]);

  // The webhook Service sends 443 to the operator's webhook port; the configurations the
  // operator patches are the ones rendered, and call that Service.
  const svc = r.one<Service>('Service', flags.get('webhook-service'));
  expect(podLabels).to.deep.include(svc.spec.selector);
  expect(svc.spec.ports).to.deep.equal([{ name: 'webhook', port: 443, targetPort: 'webhook', protocol: 'TCP' }]);
  const mutating = r.one<WebhookConfig>('MutatingWebhookConfiguration', names.mutatingWebhookConfigs[0]);
  const validating = r.one<WebhookConfig>('ValidatingWebhookConfiguration', names.validatingWebhookConfigs[0]);
  for (const w of [...mutating.webhooks, ...validating.webhooks]) {
    expect(w.clientConfig, `${w.name}: caBundle is the operator's to write`).to.not.have.property('caBundle');
    expect(w.clientConfig.service).to.deep.include({ name: svc.metadata.name, namespace, port: 443 });
    expect(w.sideEffects).to.equal('None');
    expect(w.admissionReviewVersions).to.deep.equal(['v1']);
  }
}

function podWebhook(r: Rendered): WebhookConfig['webhooks'][number] {
  const m = r.one<WebhookConfig>('MutatingWebhookConfiguration');
  expect(m.webhooks.map((w) => w.name)).to.deep.equal(['pods.mcpresidency.io']);
  return m.webhooks[0]!;
}

describe('chart: helm lint and helm template @cluster', function () {
  this.timeout(60_000);
  let helm: string;
  before(async function () {
    this.timeout(CONTROL_PLANE_TIMEOUT_MS); // a first-ever run builds helm
    helm = (await ensureBinaries()).helm;
  });

  const custom = {
    image: { repository: 'registry.example.com/mirror/mcp-residency', tag: '9.9.9', pullPolicy: 'Always' },
    imagePullSecrets: [{ name: 'regcred' }],
    operator: {
      replicas: 3,
      logLevel: 'debug',
      resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } },
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'infra', effect: 'NoSchedule' }],
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['infra'] }] }] } } },
      priorityClassName: 'platform-critical',
      preStopSleepSeconds: 0,
      extraArgs: ['--resync=2m'],
    },
    sidecar: {
      image: { repository: 'registry.example.com/mirror/proxy', digest: `sha256:${'a'.repeat(64)}`, pullPolicy: 'Never' },
      resources: { requests: { cpu: '25m', memory: '32Mi' }, limits: { cpu: null, memory: '128Mi' } },
      logLevel: 'warn',
      auditSizeLimit: '2Gi',
    },
    excludeNamespaces: ['batch', 'legacy'],
    webhook: { failurePolicy: 'Ignore', timeoutSeconds: 3, namespaceSelector: { matchLabels: { 'mcpresidency.io/enabled': 'true' } } },
    approvals: { usernamePrefix: 'oidc:' },
    approvers: { groups: ['privacy-officers'], users: ['dpo@example.com'] },
    rbac: { aggregateToView: false },
    podDisruptionBudget: { enabled: false },
    monitoring: { serviceMonitor: { enabled: true, interval: '15s', labels: { release: 'prom' } } },
  };

  it('passes helm lint --strict with the default and with non-default values', async () => {
    for (const args of [[], ['-f', await valuesFile(custom)]]) {
      const r = await runHelm(helm, ['lint', '--strict', chartDir, ...args]);
      expect(r.code, `${r.stdout}\n${r.stderr}`).to.equal(0);
      expect(r.stdout).to.match(/0 chart\(s\) failed/u);
    }
  });

  it('defaults: names equal the operator\'s own defaults, two replicas, PDB, anti-affinity, both webhooks fail closed', async () => {
    const r = await helmTemplate(helm, { release: 'mcp-residency', namespace: 'mcp-residency' });
    checkConsistency(r, 'mcp-residency', 'mcp-residency');
    expect(r.summary()).to.deep.equal([
      'ClusterRole/mcp-residency-approver',
      'ClusterRole/mcp-residency-operator',
      'ClusterRole/mcp-residency-view',
      'ClusterRoleBinding/mcp-residency-operator',
      'Deployment/mcp-residency-operator',
      'MutatingWebhookConfiguration/mcp-residency',
      'PodDisruptionBudget/mcp-residency-operator',
      'Role/mcp-residency-operator',
      'RoleBinding/mcp-residency-operator',
      'Service/mcp-residency-metrics',
      'Service/mcp-residency-webhook',
      'ServiceAccount/mcp-residency',
      'ValidatingWebhookConfiguration/mcp-residency',
    ]);
    const { deployment, flags } = operatorOf(r);
    // Installed as `mcp-residency`, every name is the one the operator uses when not told.
    for (const f of ['mutating-webhook-configurations', 'validating-webhook-configurations', 'webhook-service', 'tls-secret', 'leader-election-lease', 'sidecar-rbac-name', 'sidecar-image', 'sidecar-image-pull-policy', 'sidecar-cpu-request', 'sidecar-memory-request', 'sidecar-cpu-limit', 'sidecar-memory-limit', 'sidecar-log-level', 'sidecar-audit-size-limit', 'log-level']) {
      expect(flags.get(f), `--${f}`).to.equal(operatorCommand.flags[f]!.default);
    }
    expect(flags.has('exclude-namespaces')).to.equal(false);
    expect(deployment.spec.replicas).to.equal(2);
    const container = deployment.spec.template.spec.containers[0]!;
    expect(container.image).to.equal(operatorCommand.flags['sidecar-image']!.default);
    expect(container.lifecycle?.preStop?.sleep?.seconds).to.equal(5);
    const selector = deployment.spec.selector.matchLabels!;
    expect(deployment.spec.template.spec.affinity).to.deep.equal({
      podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector } } }] },
    });
    const pdb = r.one<Pdb>('PodDisruptionBudget');
    expect(pdb.spec).to.deep.equal({ maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow', selector: { matchLabels: selector } });

    // Pods: one entry, sent only pods that carry the policy annotation (a matchCondition, since
    // selectors cannot see annotations), never the system or the operator's own namespace.
    const pods = podWebhook(r);
    expect(pods.clientConfig.service?.path).to.equal(WEBHOOK_PATHS.pods);
    expect(pods.rules).to.deep.equal([{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }]);
    expect(pods.failurePolicy).to.equal('Fail');
    expect(pods.reinvocationPolicy).to.equal('Never');
    expect(pods.timeoutSeconds).to.equal(5);
    expect(pods.objectSelector).to.equal(undefined);
    expect(pods.namespaceSelector).to.deep.equal({ matchExpressions: [{ key: NAME_LABEL, operator: 'NotIn', values: [...SYSTEM_NAMESPACES, 'mcp-residency'] }] });
    expect(pods.matchConditions).to.deep.equal([{ name: 'asks-for-a-policy', expression: `has(object.metadata.annotations) && '${ANNOTATION_POLICY}' in object.metadata.annotations` }]);

    // Policies and approvals: CREATE and UPDATE, fail closed, in every namespace.
    const validating = r.one<WebhookConfig>('ValidatingWebhookConfiguration');
    expect(validating.webhooks.map((w) => [w.name, w.clientConfig.service?.path, w.failurePolicy, w.timeoutSeconds, w.namespaceSelector])).to.deep.equal([
      ['policies.mcpresidency.io', WEBHOOK_PATHS.policies, 'Fail', 5, undefined],
      ['approvals.mcpresidency.io', WEBHOOK_PATHS.approvals, 'Fail', 5, undefined],
    ]);
    expect(validating.webhooks.map((w) => w.rules)).to.deep.equal([
      [{ operations: ['CREATE', 'UPDATE'], apiGroups: [API_GROUP], apiVersions: ['v1alpha1'], resources: ['mcpresidencypolicies'], scope: 'Namespaced' }],
      [{ operations: ['CREATE', 'UPDATE'], apiGroups: [API_GROUP], apiVersions: ['v1alpha1'], resources: ['mcpapprovals', 'mcpapprovals/status'], scope: 'Namespaced' }],
    ]);

    // People: an approver role bound to no one until asked; policies readable by `view`.
    expect(r.one<RoleLike>('ClusterRole', 'mcp-residency-approver').rules).to.deep.equal([
      { apiGroups: [API_GROUP], resources: ['mcpapprovals'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [API_GROUP], resources: ['mcpapprovals/status'], verbs: ['update', 'patch'] },
    ]);
    const view = r.one<RoleLike>('ClusterRole', 'mcp-residency-view');
    expect(view.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-view']).to.equal('true');
    expect(normalizeRules(view.rules)).to.deep.equal(normalizeRules([{ apiGroups: [API_GROUP], resources: ['mcpresidencypolicies', 'mcpresidencypolicies/status'], verbs: ['get', 'list', 'watch'] }]));
    expect(r.all('ServiceMonitor')).to.have.length(0);
  });

  it('non-default values reach the objects and the operator\'s flags', async () => {
    const r = await helmTemplate(helm, { release: 'acme', namespace: 'platform', values: custom });
    checkConsistency(r, 'acme', 'platform');
    const { deployment, flags } = operatorOf(r);
    const spec = deployment.spec.template.spec;
    const container = spec.containers[0]!;
    expect(deployment.metadata.name).to.equal('acme-mcp-residency-operator');
    expect(deployment.spec.replicas).to.equal(3);
    expect(container.image).to.equal('registry.example.com/mirror/mcp-residency:9.9.9');
    expect(container.imagePullPolicy).to.equal('Always');
    expect(container.resources).to.deep.equal(custom.operator.resources);
    expect(container.lifecycle).to.equal(undefined);
    expect(spec.imagePullSecrets).to.deep.equal([{ name: 'regcred' }]);
    expect(spec.nodeSelector).to.deep.equal(custom.operator.nodeSelector);
    expect(spec.tolerations).to.deep.equal(custom.operator.tolerations);
    expect(spec.affinity).to.deep.equal(custom.operator.affinity);
    expect(spec.priorityClassName).to.equal('platform-critical');
    expect(Object.fromEntries(flags)).to.deep.include({
      'log-level': 'debug',
      'sidecar-image': `registry.example.com/mirror/proxy@sha256:${'a'.repeat(64)}`,
      'sidecar-image-pull-policy': 'Never',
      'sidecar-cpu-request': '25m',
      'sidecar-memory-request': '32Mi',
      'sidecar-cpu-limit': '', // none
      'sidecar-memory-limit': '128Mi',
      'sidecar-log-level': 'warn',
      'sidecar-audit-size-limit': '2Gi',
      'exclude-namespaces': 'batch,legacy',
      resync: '2m',
      'approver-username-prefix': 'oidc:',
      'mutating-webhook-configurations': 'acme-mcp-residency',
      'tls-secret': 'acme-mcp-residency-webhook-tls',
      'leader-election-lease': 'acme-mcp-residency-operator',
    });

    const pods = podWebhook(r);
    expect(pods.failurePolicy).to.equal('Ignore');
    expect(pods.namespaceSelector).to.deep.equal({
      matchLabels: { 'mcpresidency.io/enabled': 'true' },
      matchExpressions: [{ key: NAME_LABEL, operator: 'NotIn', values: [...SYSTEM_NAMESPACES, 'platform', 'batch', 'legacy'] }],
    });
    const validating = r.one<WebhookConfig>('ValidatingWebhookConfiguration');
    for (const w of validating.webhooks) {
      expect(w.failurePolicy, `${w.name} fails closed whatever webhook.failurePolicy says`).to.equal('Fail');
      expect(w.namespaceSelector).to.deep.equal({ matchLabels: { 'mcpresidency.io/enabled': 'true' } });
    }
    for (const w of [pods, ...validating.webhooks]) expect(w.timeoutSeconds).to.equal(3);

    const binding = r.one<Binding>('ClusterRoleBinding', 'acme-mcp-residency-approver');
    expect(binding.roleRef).to.deep.equal({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'acme-mcp-residency-approver' });
    expect(binding.subjects).to.deep.equal([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'privacy-officers' },
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'dpo@example.com' },
    ]);
    expect(r.all('PodDisruptionBudget')).to.have.length(0);
    expect(r.all('ClusterRole').map((c) => c.metadata.name)).to.not.include('acme-mcp-residency-view');

    const sm = r.one<ServiceMonitor>('ServiceMonitor');
    expect(sm.apiVersion).to.equal('monitoring.coreos.com/v1');
    expect(sm.metadata.labels?.release).to.equal('prom');
    const metrics = r.all<Service>('Service').filter((s) => Object.entries(sm.spec.selector.matchLabels!).every(([k, v]) => s.metadata.labels?.[k] === v));
    expect(metrics.map((s) => s.metadata.name), 'the ServiceMonitor selects the metrics Service only').to.deep.equal(['acme-mcp-residency-metrics']);
    expect(metrics[0]!.spec.ports.map((p) => p.name)).to.include(sm.spec.endpoints[0]!.port);
    expect(metrics[0]!.spec.ports[0]!.targetPort).to.equal('admin');
    expect(sm.spec.endpoints[0]).to.deep.include({ path: '/metrics', interval: '15s' });
    expect(sm.spec.namespaceSelector).to.deep.equal({ matchNames: ['platform'] });
  });

  it('approvals.enabled=false drops the approvals webhook and the approver role, even with approvers set', async () => {
    const r = await helmTemplate(helm, { values: { approvals: { enabled: false }, approvers: { groups: ['privacy-officers'] } } });
    checkConsistency(r, 'mcp-residency', 'mcp-residency');
    expect(r.one<WebhookConfig>('ValidatingWebhookConfiguration').webhooks.map((w) => w.name)).to.deep.equal(['policies.mcpresidency.io']);
    expect(r.summary().filter((s) => s.includes('approver'))).to.deep.equal([]);
  });

  it('refuses values the schema does not allow, and Kubernetes older than 1.30', async () => {
    for (const [set, message] of [
      ['webhook.failurePolicy=Maybe', /failurePolicy/u],
      ['operator.logLevel=verbose', /logLevel/u],
      ['webhook.timeoutSeconds=60', /timeoutSeconds/u],
      ['sidecar.resources.limits.memory=lots', /memory/u],
      ['unknownValue=1', /unknownValue/u],
    ] as const) {
      const r = await runHelm(helm, ['template', 'x', chartDir, '--set', set]);
      expect(r.code, set).to.not.equal(0);
      expect(r.stderr, set).to.match(message);
    }
    const old = await runHelm(helm, ['template', 'x', chartDir, '--kube-version', '1.29.0']);
    expect(old.code).to.not.equal(0);
    expect(old.stderr).to.match(/kubeVersion|1\.30/u);
  });

  it('installs the CRDs of crds/ (helm template --include-crds)', async () => {
    const r = await helmTemplate(helm, { args: ['--include-crds'] });
    const crds = r.all('CustomResourceDefinition');
    const want = readdirSync(join(repoRoot, 'crds')).filter((f) => f.endsWith('.yaml')).map((f) => parse(readFileSync(join(repoRoot, 'crds', f), 'utf8')) as unknown);
    expect(crds).to.have.deep.members(want);
  });
});
