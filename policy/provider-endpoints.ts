// Built-in table of LLM provider endpoints whose host name reveals where the request is
// processed. `regionOfHost` runs on every egress request: one exact-host lookup, then a few
// anchored regular expressions, each matching the whole host.
//
// Sources (checked 2026-11-20):
//   Azure AI services regional endpoints `<region>.api.cognitive.microsoft.com` and custom
//     subdomains: https://learn.microsoft.com/azure/ai-services/cognitive-services-custom-subdomains
//   Azure Speech regional hosts `<region>.stt|tts|voice.speech.microsoft.com`,
//     `<region>.customvoice.api.speech.microsoft.com`: https://learn.microsoft.com/azure/ai-services/speech-service/rest-speech-to-text-short
//     and https://learn.microsoft.com/azure/ai-services/speech-service/rest-text-to-speech
//   Azure OpenAI / Foundry resource endpoints `<resource>.openai.azure.com`,
//     `<resource>.cognitiveservices.azure.com`, `<resource>.services.ai.azure.com`: the
//     resource name is chosen by the customer, the host does not reveal the region:
//     https://learn.microsoft.com/azure/ai-foundry/openai/reference
//   Azure AI Foundry serverless API endpoints `<endpoint>.<region>.models.ai.azure.com`:
//     https://learn.microsoft.com/azure/ai-foundry/how-to/deploy-models-serverless
//   Azure Machine Learning online endpoints `<endpoint>.<region>.inference.ml.azure.com`:
//     https://learn.microsoft.com/azure/machine-learning/how-to-deploy-online-endpoints
//   Amazon Bedrock `bedrock[-runtime|-agent|-agent-runtime][-fips].<region>.amazonaws.com`
//     (`.amazonaws.com.cn` in China, `.amazonaws.eu` in the European Sovereign Cloud):
//     https://docs.aws.amazon.com/general/latest/gr/bedrock.html ; `bedrock-mantle.<region>.api.aws`:
//     https://docs.aws.amazon.com/bedrock/latest/userguide/inference-responses-api.html
//   Vertex AI `<region>-aiplatform.googleapis.com`, global `aiplatform.googleapis.com`:
//     https://docs.cloud.google.com/vertex-ai/docs/general/locations ; multi-region
//     `aiplatform.us.rep.googleapis.com`, `aiplatform.eu.rep.googleapis.com` and regional
//     `aiplatform.<region>.rep.googleapis.com`: https://docs.cloud.google.com/vertex-ai/generative-ai/docs/learn/locations
//   Gemini Developer API `generativelanguage.googleapis.com` (global pool):
//     https://firebase.google.com/docs/ai-logic/locations
//   OpenAI `api.openai.com` (global) and `us|eu|jp|in|au.api.openai.com`:
//     https://developers.openai.com/api/docs/guides/data-residency ; `ae.api.openai.com`:
//     https://github.com/openai/openai-node src/internal/data-residency.ts
//   Anthropic `api.anthropic.com` (default inference_geo "global"):
//     https://platform.claude.com/docs/en/build-with-claude/data-residency
//   Mistral `api.mistral.ai` (global), `api.eu.mistral.ai`, `api.us.mistral.ai`:
//     https://docs.mistral.ai/studio-api/regional-inference
//
// Limits users should know (the host is all this table looks at):
//   - Amazon Bedrock cross-Region inference profiles (model IDs `eu.`, `us.`, `global.` ...)
//     can process a request outside the endpoint's region; the model ID is in the URL path.
//   - Azure OpenAI "Global"/"Data Zone" deployments can process outside the resource's region;
//     custom-subdomain hosts are reported as region unknown anyway.
//   - Anthropic's US-only inference is chosen by the `inference_geo` body field, not the host,
//     so `api.anthropic.com` is reported as `anthropic-global`.
import { REGIONS } from './regions.ts';
import type { Provider } from './regions.ts';

export interface HostRegion {
  readonly provider: Provider;
  /** A name in REGIONS, or undefined when the provider is known but the host does not tell the region. */
  readonly region: string | undefined;
  /** Human description of the rule that matched. */
  readonly rule: string;
}

const EXACT_HOSTS: ReadonlyMap<string, HostRegion> = new Map(
  (
    [
      ['api.openai.com', 'openai', 'openai-global', 'OpenAI global API endpoint api.openai.com (no processing location promised)'],
      ['us.api.openai.com', 'openai', 'openai-us', 'OpenAI US data-residency endpoint us.api.openai.com'],
      ['eu.api.openai.com', 'openai', 'openai-eu', 'OpenAI Europe data-residency endpoint eu.api.openai.com'],
      ['jp.api.openai.com', 'openai', 'openai-jp', 'OpenAI Japan data-residency endpoint jp.api.openai.com'],
      ['in.api.openai.com', 'openai', 'openai-in', 'OpenAI India data-residency endpoint in.api.openai.com'],
      ['au.api.openai.com', 'openai', 'openai-au', 'OpenAI Australia data-residency endpoint au.api.openai.com'],
      ['ae.api.openai.com', 'openai', 'openai-ae', 'OpenAI UAE data-residency endpoint ae.api.openai.com'],
      ['api.anthropic.com', 'anthropic', 'anthropic-global', 'Claude API api.anthropic.com (default inference_geo "global")'],
      ['api.mistral.ai', 'mistral', 'mistral-global', 'Mistral global endpoint api.mistral.ai (no processing location promised)'],
      ['api.eu.mistral.ai', 'mistral', 'mistral-eu', 'Mistral EU regional-inference endpoint api.eu.mistral.ai'],
      ['api.us.mistral.ai', 'mistral', 'mistral-us', 'Mistral US regional-inference endpoint api.us.mistral.ai'],
      ['aiplatform.googleapis.com', 'gcp', 'gcp-global', 'Vertex AI global endpoint aiplatform.googleapis.com'],
      ['aiplatform.us.rep.googleapis.com', 'gcp', 'gcp-us', 'Vertex AI US multi-region endpoint aiplatform.us.rep.googleapis.com'],
      ['aiplatform.eu.rep.googleapis.com', 'gcp', 'gcp-eu', 'Vertex AI EU multi-region endpoint aiplatform.eu.rep.googleapis.com'],
      ['generativelanguage.googleapis.com', 'google', 'gemini-global', 'Gemini Developer API generativelanguage.googleapis.com (global pool)'],
    ] as const
  ).map(([host, provider, region, rule]) => [host, { provider, region, rule }]),
);

/** The region named by `label`, if it is a known region of `provider`. */
function regionOf(provider: Provider, label: string): string | undefined {
  const region = REGIONS.get(label);
  return region !== undefined && region.provider === provider ? region.name : undefined;
}

/** The AWS DNS suffix of a region's partition (China and the European Sovereign Cloud differ). */
function awsSuffixOf(region: string): string {
  if (region.startsWith('cn-')) return 'amazonaws.com.cn';
  if (region.startsWith('eusc-')) return 'amazonaws.eu';
  return 'amazonaws.com';
}

interface PatternRule {
  readonly pattern: RegExp;
  readonly provider: Provider;
  readonly rule: string;
  /** Whether hosts of this form name a region at all. */
  readonly revealsRegion: boolean;
  /** Region from the match; undefined when the captured label is not a region of this provider. */
  readonly region: (m: RegExpExecArray) => string | undefined;
}

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';

const PATTERN_RULES: readonly PatternRule[] = [
  {
    pattern: /^(bedrock(?:-runtime|-agent|-agent-runtime)?)(-fips)?\.([a-z0-9-]+)\.(amazonaws\.com|amazonaws\.com\.cn|amazonaws\.eu)$/,
    provider: 'aws',
    rule: 'Amazon Bedrock regional endpoint bedrock[-runtime|-agent|-agent-runtime][-fips].<region>.amazonaws.com',
    revealsRegion: true,
    region: (m) => {
      const region = regionOf('aws', m[3]!);
      return region !== undefined && awsSuffixOf(region) === m[4] ? region : undefined;
    },
  },
  {
    pattern: /^bedrock-mantle\.([a-z0-9-]+)\.api\.aws$/,
    provider: 'aws',
    rule: 'Amazon Bedrock Mantle regional endpoint bedrock-mantle.<region>.api.aws',
    revealsRegion: true,
    region: (m) => regionOf('aws', m[1]!),
  },
  {
    pattern: /^([a-z0-9-]+)-aiplatform\.googleapis\.com$/,
    provider: 'gcp',
    rule: 'Vertex AI regional endpoint <region>-aiplatform.googleapis.com',
    revealsRegion: true,
    region: (m) => regionOf('gcp', m[1]!),
  },
  {
    pattern: /^aiplatform\.([a-z0-9-]+)\.rep\.googleapis\.com$/,
    provider: 'gcp',
    rule: 'Vertex AI regional endpoint aiplatform.<region>.rep.googleapis.com',
    revealsRegion: true,
    region: (m) => regionOf('gcp', m[1]!),
  },
  {
    pattern: /^([a-z0-9]+)\.(?:api\.cognitive\.microsoft\.com|(?:stt|tts|voice)\.speech\.microsoft\.com|customvoice\.api\.speech\.microsoft\.com)$/,
    provider: 'azure',
    rule: 'Azure AI services regional endpoint <region>.api.cognitive.microsoft.com / <region>.{stt,tts,voice}.speech.microsoft.com',
    revealsRegion: true,
    region: (m) => regionOf('azure', m[1]!),
  },
  {
    pattern: new RegExp(`^${LABEL}\\.([a-z0-9]+)\\.models\\.ai\\.azure\\.com$`),
    provider: 'azure',
    rule: 'Azure AI Foundry serverless API endpoint <endpoint>.<region>.models.ai.azure.com',
    revealsRegion: true,
    region: (m) => regionOf('azure', m[1]!),
  },
  {
    pattern: new RegExp(`^${LABEL}\\.([a-z0-9]+)\\.inference\\.ml\\.azure\\.com$`),
    provider: 'azure',
    rule: 'Azure Machine Learning online endpoint <endpoint>.<region>.inference.ml.azure.com',
    revealsRegion: true,
    region: (m) => regionOf('azure', m[1]!),
  },
  {
    // The resource name is the customer's choice (a resource called "westeurope" may live in
    // any region), so these hosts never reveal the region.
    pattern: new RegExp(`^${LABEL}\\.(?:openai\\.azure\\.com|cognitiveservices\\.azure\\.com|services\\.ai\\.azure\\.com)$`),
    provider: 'azure',
    rule: 'Azure OpenAI / AI Foundry custom-subdomain endpoint <resource>.openai.azure.com (region not in the host name)',
    revealsRegion: false,
    region: () => undefined,
  },
];

const HOST_CHARS = /^[a-z0-9.-]+$/;

/**
 * The provider and region an LLM endpoint host reveals. `undefined` means the host is not a
 * known provider endpoint; a result with `region: undefined` means the provider is known but the
 * host does not tell the region. The host is matched case-insensitively, as a whole (a trailing
 * dot is allowed; ports, IP literals and look-alikes such as `api.openai.com.evil.com` are not
 * provider hosts).
 */
export function regionOfHost(host: string): HostRegion | undefined {
  let h = host.toLowerCase();
  if (h.endsWith('.')) h = h.slice(0, -1);
  if (h.length === 0 || h.length > 253 || !HOST_CHARS.test(h)) return undefined;
  const exact = EXACT_HOSTS.get(h);
  if (exact !== undefined) return exact;
  for (const r of PATTERN_RULES) {
    const m = r.pattern.exec(h);
    if (m !== null) {
      const region = r.region(m);
      const rule = region === undefined && r.revealsRegion ? `${r.rule} (region label not recognised)` : r.rule;
      return { provider: r.provider, region, rule };
    }
  }
  return undefined;
}
