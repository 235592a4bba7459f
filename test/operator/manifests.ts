// Minimal policy and pod manifests for the cluster tests and the benchmark.

export function policyManifest(namespace: string, name: string, region = 'westeurope', extra: Record<string, unknown> = {}): object {
  return {
    apiVersion: 'mcpresidency.io/v1alpha1',
    kind: 'MCPResidencyPolicy',
    metadata: { name, namespace },
    spec: {
      authentication: { mode: 'none' },
      egress: { allowedRegions: ['westeurope'], upstreams: [{ name: 'aoai', url: 'https://contoso-weu.openai.azure.com', region, credential: { secretName: 'aoai-key', key: 'api-key' } }] },
      ...extra,
    },
  };
}

export function podManifest(name: string, annotations: Record<string, string> = {}, port = 8080): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, annotations },
    spec: { containers: [{ name: 'server', image: 'registry.example.com/mcp-server:1', ports: [{ containerPort: port }] }] },
  };
}
