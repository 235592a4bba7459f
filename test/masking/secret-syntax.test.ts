import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { found, redactor } from './helpers.ts';

const here = dirname(fileURLToPath(import.meta.url));
const formats = JSON.parse(readFileSync(join(here, '..', 'fixtures', 'masking', 'third-party', 'gitleaks-formats.json'), 'utf8')) as {
  examples: { rule: string; value: string }[];
  negatives: string[];
};
const v = 'Xk7pQ2rS9tUv4WzA1bC3';

describe('SECRET: formats known by shape (gitleaks rule formats)', () => {
  for (const { rule, value } of formats.examples) {
    it(`${rule}: ${value.slice(0, 12)}…`, () => expect(found(`token ${value} end`)).to.deep.equal([['SECRET', value]]));
  }
  it('leaves the negatives alone', () => {
    for (const text of formats.negatives) expect(found(text), text).to.deep.equal([]);
  });
});

describe('SECRET: assignments in the common syntaxes', () => {
  const cases: [string, string][] = [
    [`TOKEN ::= "glpat-${v}"`, `glpat-${v}`],
    [`TOKEN ::= ${v}`, v],
    [`TOKEN := ${v}`, v],
    [`TOKEN ?= ${v}`, v],
    [`TOKEN = ${v}`, v],
    [`$password .= '${v}';`, v],
    [`$config['secret'] = "${v}";`, v],
    [`var apiKey string = "${v}"`, v],
    [`apiKey := "${v}"`, v],
    [`props.setProperty("db.password", "${v}");`, v],
    [`define('AUTH_KEY_SECRET', '${v}');`, v],
    [`<password>${v}</password>`, v],
    [`<ns:ClientSecret><![CDATA[${v}]]></ns:ClientSecret>`, v],
    [`<add key="StorageAccountKey" value="${v}" />`, v],
    [`export API_TOKEN=${v}`, v],
    [`api_token: ${v}`, v],
    [`api_token = "${v}"`, v],
    [`curl -u deploy:${v} https://x.example`, v],
    [`curl -s --user 'ci:${v}' https://x.example`, v],
  ];
  for (const [text, secret] of cases) it(JSON.stringify(text), () => expect(found(text)).to.deep.equal([['SECRET', secret]]));

  it('masks the value, never the operator: TOKEN ::= "…" keeps ::= and hides the token', () => {
    expect(redactor().maskText(`TOKEN ::= "glpat-${v}"`)).to.equal('TOKEN ::= "[SECRET]"');
  });

  const negatives = [
    'the string = "hello"',
    '<passwordPolicy>strong</passwordPolicy>',
    '<password></password>',
    'setProperty("user.name", "jane")',
    'curl -X POST https://api.example.com/v1',
    'if (a > b) { c = d; }',
    '<b>bold</b> and x > 3',
  ];
  for (const text of negatives) it(`leaves ${JSON.stringify(text)}`, () => expect(found(text)).to.deep.equal([]));
});

describe('SECRET: URLs that carry a credential', () => {
  const slack = `https://hooks.slack.com/services/T0ABCDEFG/B0ABCDEFGHI/${v}abcd`;
  const discord = `https://discord.com/api/webhooks/123456789012345678/${v}${v}-_x`;
  const teams =
    'https://contoso.webhook.office.com/webhookb2/1c4c7e0e-1111-2222-3333-444444444444@5c5c5c5c-1111-2222-3333-444444444444/IncomingWebhook/0123456789abcdef0123456789abcdef/9a9a9a9a-1111-2222-3333-444444444444';
  for (const url of [slack, discord, teams]) it(url.slice(0, 40), () => expect(found(`post to ${url}.`)).to.deep.equal([['SECRET', url]]));
  it('masks the password of user:pass@', () => expect(found(`amqp://svc:${v}@mq:5672/`)).to.deep.equal([['SECRET', v]]));
  it('leaves a webhook host without its key', () => expect(found('docs: https://hooks.slack.com/services/ explains it')).to.deep.equal([]));
});
