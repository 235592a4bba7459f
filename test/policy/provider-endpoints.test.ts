import { expect } from 'chai';
import { regionOfHost } from '../../policy/provider-endpoints.ts';
import { REGIONS } from '../../policy/regions.ts';
import type { Provider } from '../../policy/regions.ts';

function expectHost(host: string, provider: Provider, region: string | undefined): void {
  const got = regionOfHost(host);
  expect(got, host).to.not.equal(undefined);
  expect(got!.provider, host).to.equal(provider);
  expect(got!.region, host).to.equal(region);
  expect(got!.rule.length, host).to.be.greaterThan(0);
}

function regionsOf(provider: Provider): string[] {
  return [...REGIONS.values()].filter((r) => r.provider === provider && r.country !== undefined && !r.name.includes('-global')).map((r) => r.name);
}

describe('policy/provider-endpoints', () => {
  it('recognises the SaaS API hosts', () => {
    expectHost('api.openai.com', 'openai', 'openai-global');
    expectHost('us.api.openai.com', 'openai', 'openai-us');
    expectHost('eu.api.openai.com', 'openai', 'openai-eu');
    expectHost('jp.api.openai.com', 'openai', 'openai-jp');
    expectHost('api.anthropic.com', 'anthropic', 'anthropic-global');
    expectHost('api.mistral.ai', 'mistral', 'mistral-global');
    expectHost('api.eu.mistral.ai', 'mistral', 'mistral-eu');
    expectHost('api.us.mistral.ai', 'mistral', 'mistral-us');
    expectHost('generativelanguage.googleapis.com', 'google', 'gemini-global');
  });

  it('recognises Amazon Bedrock regional endpoints, FIPS and other partitions', () => {
    expectHost('bedrock-runtime.eu-central-1.amazonaws.com', 'aws', 'eu-central-1');
    expectHost('bedrock.us-east-1.amazonaws.com', 'aws', 'us-east-1');
    expectHost('bedrock-runtime-fips.us-west-2.amazonaws.com', 'aws', 'us-west-2');
    expectHost('bedrock-fips.us-east-2.amazonaws.com', 'aws', 'us-east-2');
    expectHost('bedrock-agent-runtime.eu-west-3.amazonaws.com', 'aws', 'eu-west-3');
    expectHost('bedrock-runtime.us-gov-west-1.amazonaws.com', 'aws', 'us-gov-west-1');
    expectHost('bedrock-runtime.cn-north-1.amazonaws.com.cn', 'aws', 'cn-north-1');
    expectHost('bedrock-runtime.eusc-de-east-1.amazonaws.eu', 'aws', 'eusc-de-east-1');
    expectHost('bedrock-mantle.us-east-1.api.aws', 'aws', 'us-east-1');
    // Wrong partition suffix or unknown region label: AWS, but the region is not trusted.
    expectHost('bedrock-runtime.cn-north-1.amazonaws.com', 'aws', undefined);
    expectHost('bedrock-runtime.eu-central-1.amazonaws.eu', 'aws', undefined);
    expectHost('bedrock-runtime.mars-north-1.amazonaws.com', 'aws', undefined);
    // An Azure/GCP region name is not an AWS region.
    expectHost('bedrock-runtime.westeurope.amazonaws.com', 'aws', undefined);
  });

  it('recognises Vertex AI endpoints', () => {
    expectHost('europe-west4-aiplatform.googleapis.com', 'gcp', 'europe-west4');
    expectHost('us-central1-aiplatform.googleapis.com', 'gcp', 'us-central1');
    expectHost('aiplatform.europe-west1.rep.googleapis.com', 'gcp', 'europe-west1');
    expectHost('aiplatform.eu.rep.googleapis.com', 'gcp', 'gcp-eu');
    expectHost('aiplatform.us.rep.googleapis.com', 'gcp', 'gcp-us');
    expectHost('aiplatform.googleapis.com', 'gcp', 'gcp-global');
    expectHost('eu-aiplatform.googleapis.com', 'gcp', undefined);
    expectHost('westeurope-aiplatform.googleapis.com', 'gcp', undefined);
  });

  it('recognises Azure regional hosts and reports custom subdomains as region unknown', () => {
    expectHost('westeurope.api.cognitive.microsoft.com', 'azure', 'westeurope');
    expectHost('swedencentral.tts.speech.microsoft.com', 'azure', 'swedencentral');
    expectHost('germanywestcentral.stt.speech.microsoft.com', 'azure', 'germanywestcentral');
    expectHost('mistral-large-abcd.swedencentral.models.ai.azure.com', 'azure', 'swedencentral');
    expectHost('my-endpoint.francecentral.inference.ml.azure.com', 'azure', 'francecentral');
    expectHost('contoso.openai.azure.com', 'azure', undefined);
    expectHost('contoso-weu.openai.azure.com', 'azure', undefined);
    expectHost('contoso.cognitiveservices.azure.com', 'azure', undefined);
    expectHost('contoso.services.ai.azure.com', 'azure', undefined);
    // A resource may be *named* like a region; that says nothing about where it is.
    expectHost('westeurope.openai.azure.com', 'azure', undefined);
    expectHost('mars.api.cognitive.microsoft.com', 'azure', undefined);
    expect(regionOfHost('eu-central-1.api.cognitive.microsoft.com')).to.equal(undefined);
  });

  it('ignores case and a trailing dot', () => {
    expectHost('API.OpenAI.com', 'openai', 'openai-global');
    expectHost('eu.api.openai.com.', 'openai', 'openai-eu');
    expectHost('Bedrock-Runtime.EU-Central-1.AmazonAWS.com.', 'aws', 'eu-central-1');
    expectHost('WestEurope.API.Cognitive.Microsoft.com', 'azure', 'westeurope');
    expectHost('Europe-West4-AIPlatform.googleapis.com.', 'gcp', 'europe-west4');
  });

  it('does not match look-alike hosts', () => {
    for (const host of [
      'evilapi.openai.com',
      'api.openai.com.evil.com',
      'api-openai.com',
      'xapi.openai.com',
      'eu.api.openai.com.attacker.net',
      'fr.api.openai.com',
      'api.anthropic.com.evil.com',
      'evil-api.anthropic.com',
      'api.mistral.ai.evil.io',
      'bedrock-runtime.eu-central-1.amazonaws.com.evil.com',
      'evilbedrock-runtime.eu-central-1.amazonaws.com',
      'x.bedrock-runtime.eu-central-1.amazonaws.com',
      'bedrock-runtime.eu-central-1.amazonaws.co',
      'europe-west4-aiplatform.googleapis.com.evil.com',
      'europe-west4-aiplatform.googleapis.co',
      'westeurope.api.cognitive.microsoft.com.evil.com',
      'x.westeurope.api.cognitive.microsoft.com',
      'contoso.openai.azure.com.evil.com',
      'a.contoso.openai.azure.com',
      'openai.azure.com',
      'example.com',
      'localhost',
      '',
      '.',
      '127.0.0.1:443',
      'api.openai.com:443',
      '[::1]',
      'api.openai.com/v1',
      'api.openai.com..',
    ]) {
      expect(regionOfHost(host), host).to.equal(undefined);
    }
  });

  it('only returns regions that exist in REGIONS, of the same provider', () => {
    const hosts: string[] = [
      'api.openai.com', 'us.api.openai.com', 'eu.api.openai.com', 'jp.api.openai.com', 'in.api.openai.com',
      'au.api.openai.com', 'ae.api.openai.com', 'api.anthropic.com', 'api.mistral.ai', 'api.eu.mistral.ai',
      'api.us.mistral.ai', 'aiplatform.googleapis.com', 'aiplatform.us.rep.googleapis.com',
      'aiplatform.eu.rep.googleapis.com', 'generativelanguage.googleapis.com',
    ];
    const suffix = (r: string): string => (r.startsWith('cn-') ? 'amazonaws.com.cn' : r.startsWith('eusc-') ? 'amazonaws.eu' : 'amazonaws.com');
    for (const r of regionsOf('aws')) {
      hosts.push(`bedrock-runtime.${r}.${suffix(r)}`, `bedrock.${r}.${suffix(r)}`, `bedrock-runtime-fips.${r}.${suffix(r)}`);
    }
    for (const r of regionsOf('gcp')) hosts.push(`${r}-aiplatform.googleapis.com`, `aiplatform.${r}.rep.googleapis.com`);
    for (const r of regionsOf('azure')) hosts.push(`${r}.api.cognitive.microsoft.com`, `ep.${r}.models.ai.azure.com`);
    for (const host of hosts) {
      const got = regionOfHost(host);
      expect(got, host).to.not.equal(undefined);
      expect(got!.region, host).to.be.a('string');
      const region = REGIONS.get(got!.region!);
      expect(region, host).to.not.equal(undefined);
      expect(region!.provider, host).to.equal(got!.provider);
    }
    // And the region label round-trips for every cloud region.
    for (const r of regionsOf('aws')) expect(regionOfHost(`bedrock-runtime.${r}.${suffix(r)}`)!.region).to.equal(r);
    for (const r of regionsOf('gcp')) expect(regionOfHost(`${r}-aiplatform.googleapis.com`)!.region).to.equal(r);
    for (const r of regionsOf('azure')) expect(regionOfHost(`${r}.api.cognitive.microsoft.com`)!.region).to.equal(r);
  });

  it('is fast enough to run per request', () => {
    const hosts = ['api.openai.com', 'bedrock-runtime.eu-central-1.amazonaws.com', 'contoso.openai.azure.com', 'example.com', 'europe-west4-aiplatform.googleapis.com'];
    const start = process.hrtime.bigint();
    for (let i = 0; i < 20_000; i++) regionOfHost(hosts[i % hosts.length]!);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    expect(ms).to.be.below(1000);
  });
});
