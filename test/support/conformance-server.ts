// Our own MCP server for the official conformance suite's server scenarios, on the v2 SDK
// (both eras: 2025-11-25 stateless and 2026-07-28). It implements the fixtures the scenarios
// name (test_simple_text, test://static-text, test_prompt_with_arguments, the
// input_required tools, a tool with an x-mcp-header parameter ...), written from the scenario
// descriptions, not copied from the suite's reference server. What it lacks (the tasks
// extension fixtures, SSE polling on a session) the suite reports as failures, and the test
// requires those failures to be the same directly and through the sidecar.
import http from 'node:http';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { listenLoopback } from './net.ts';
import {
  acceptedContent,
  createMcpHandler,
  createRequestStateCodec,
  fromJsonSchema,
  hostHeaderValidationResponse,
  inputRequired,
  inputResponse,
  type JsonSchemaType,
  localhostAllowedHostnames,
  localhostAllowedOrigins,
  McpServer,
  originValidationResponse,
  ResourceTemplate,
} from '@modelcontextprotocol/server';
import * as z from 'zod';

/** A 1x1 red PNG and a tiny WAV header, as the scenarios ask for "a minimal test image / audio". */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
const WAV = Buffer.concat([Buffer.from('RIFF'), Buffer.from([36, 0, 0, 0]), Buffer.from('WAVEfmt '), Buffer.from([16, 0, 0, 0, 1, 0, 1, 0, 0x40, 0x1f, 0, 0, 0x80, 0x3e, 0, 0, 2, 0, 16, 0]), Buffer.from('data'), Buffer.alloc(4)]).toString('base64');

const text = (t: string): { content: { type: 'text'; text: string }[] } => ({ content: [{ type: 'text', text: t }] });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const NAME_SCHEMA = { type: 'object' as const, properties: { name: { type: 'string' as const } }, required: ['name'] };

export interface RunningConformanceServer {
  readonly url: string;
  readonly origin: string;
  close(): Promise<void>;
}

function build(codec: ReturnType<typeof createRequestStateCodec>): McpServer {
  const s = new McpServer(
    { name: 'mcp-residency-conformance-server', version: '1.0.0' },
    {
      capabilities: { tools: {}, resources: { subscribe: true }, prompts: {}, logging: {}, completions: {} },
      cacheHints: {
        'tools/list': { ttlMs: 0, cacheScope: 'public' },
        'prompts/list': { ttlMs: 0, cacheScope: 'public' },
        'resources/list': { ttlMs: 0, cacheScope: 'public' },
        'resources/templates/list': { ttlMs: 0, cacheScope: 'public' },
        'resources/read': { ttlMs: 0, cacheScope: 'public' },
      },
      requestState: { verify: (...args: Parameters<typeof codec.verify>) => codec.verify(...args) },
    },
  );
  registerContentTools(s);
  registerInteractiveTools(s);
  registerInputRequired(s, codec);
  registerResources(s);
  registerPrompts(s);
  return s;
}

function registerContentTools(s: McpServer): void {
  s.registerTool('test_simple_text', { description: 'Returns simple text' }, () => text('This is a simple text response for testing.'));
  s.registerTool('test_image_content', { description: 'Returns an image' }, () => ({ content: [{ type: 'image', data: PNG, mimeType: 'image/png' }] }));
  s.registerTool('test_audio_content', { description: 'Returns audio' }, () => ({ content: [{ type: 'audio', data: WAV, mimeType: 'audio/wav' }] }));
  s.registerTool('test_embedded_resource', { description: 'Returns an embedded resource' }, () => ({
    content: [{ type: 'resource', resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' } }],
  }));
  s.registerTool('test_multiple_content_types', { description: 'Returns text, image and resource' }, () => ({
    content: [
      { type: 'text', text: 'Multiple content types test:' },
      { type: 'image', data: PNG, mimeType: 'image/png' },
      { type: 'resource', resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: JSON.stringify({ test: 'data', value: 123 }) } },
    ],
  }));
  s.registerTool('test_error_handling', { description: 'Always fails' }, () => ({ isError: true, ...text('This tool intentionally returns an error for testing') }));
  s.registerTool(
    'json_schema_2020_12_tool',
    {
      description: 'Input schema with JSON Schema 2020-12 keywords',
      inputSchema: fromJsonSchema({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        $defs: { address: { $anchor: 'address', type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } } },
        properties: {
          name: { type: 'string' },
          address: { $ref: '#/$defs/address' },
          contact: { anyOf: [{ type: 'string', format: 'email' }, { type: 'string', pattern: '^\\+[0-9]+$' }] },
          kind: { allOf: [{ type: 'string' }, { enum: ['person', 'company'] }] },
        },
        if: { properties: { kind: { const: 'company' } } },
        then: { required: ['name'] },
        else: { required: [] },
        additionalProperties: false,
      }),
    },
    () => text('ok'),
  );
  // An argument that travels in a header too (2026-07-28 x-mcp-header): the gateway must check it.
  s.registerTool(
    'test_custom_headers',
    {
      description: 'Echoes a region that is also sent as the Mcp-Param-Region header',
      inputSchema: fromJsonSchema({ type: 'object', properties: { region: { type: 'string', 'x-mcp-header': 'Region' } }, required: ['region'] } as JsonSchemaType),
    },
    (args) => text(`region ${String((args as { region?: unknown }).region)}`),
  );
}

function registerInteractiveTools(s: McpServer): void {
  s.registerTool('test_tool_with_logging', { description: 'Logs while it runs' }, async (ctx) => {
    for (const [i, m] of ['Tool execution started', 'Tool processing data', 'Tool execution completed'].entries()) {
      if (i > 0) await sleep(50);
      await ctx.mcpReq.log('info', m);
    }
    return text('Logging test completed');
  });
  s.registerTool('test_tool_with_progress', { description: 'Reports progress' }, async (ctx) => {
    const token = ctx.mcpReq._meta?.progressToken;
    for (const [i, progress] of [0, 50, 100].entries()) {
      if (i > 0) await sleep(50);
      if (token !== undefined) await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken: token, progress, total: 100 } });
    }
    return text(`Progress test completed (token ${String(token)})`);
  });
  s.registerTool('test_sampling', { description: 'Asks the client for a completion', inputSchema: z.object({ prompt: z.string() }) }, async ({ prompt }, ctx) => {
    // A stateless 2025 exchange cannot carry a server request; fail in seconds rather than the suite's 30.
    const r = await ctx.mcpReq.requestSampling({ messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 100 }, { timeout: 3_000 });
    const c = r.content as { type: string; text?: string };
    return text(`LLM response: ${c.text ?? JSON.stringify(c)}`);
  });
  s.registerTool('test_elicitation', { description: 'Asks the user', inputSchema: z.object({ message: z.string() }) }, async ({ message }, ctx) => {
    const r = await ctx.mcpReq.elicitInput({
      message,
      requestedSchema: {
        type: 'object',
        properties: { username: { type: 'string', description: "User's response" }, email: { type: 'string', description: "User's email address" } },
        required: ['username', 'email'],
      },
    });
    return text(`User response: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`);
  });
  s.registerTool('test_elicitation_sep1034_defaults', { description: 'Elicitation with defaults' }, async (ctx) => {
    const r = await ctx.mcpReq.elicitInput({
      message: 'Please review and update the form fields with defaults',
      requestedSchema: {
        type: 'object',
        properties: {
          name: { type: 'string', description: 'User name', default: 'John Doe' },
          age: { type: 'integer', description: 'User age', default: 30 },
          score: { type: 'number', description: 'User score', default: 95.5 },
          status: { type: 'string', description: 'User status', enum: ['active', 'inactive', 'pending'], default: 'active' },
          verified: { type: 'boolean', description: 'Verification status', default: true },
        },
      },
    });
    return text(`Elicitation completed: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`);
  });
  s.registerTool('test_elicitation_sep1330_enums', { description: 'Elicitation with every enum form' }, async (ctx) => {
    const r = await ctx.mcpReq.elicitInput({
      message: 'Choose',
      requestedSchema: {
        type: 'object',
        properties: {
          untitledSingle: { type: 'string', enum: ['option1', 'option2', 'option3'] },
          titledSingle: { type: 'string', oneOf: [{ const: 'value1', title: 'First Option' }, { const: 'value2', title: 'Second Option' }, { const: 'value3', title: 'Third Option' }] },
          legacyEnum: { type: 'string', enum: ['opt1', 'opt2', 'opt3'], enumNames: ['Option One', 'Option Two', 'Option Three'] },
          untitledMulti: { type: 'array', items: { type: 'string', enum: ['option1', 'option2', 'option3'] } },
          titledMulti: { type: 'array', items: { anyOf: [{ const: 'value1', title: 'First Choice' }, { const: 'value2', title: 'Second Choice' }, { const: 'value3', title: 'Third Choice' }] } },
        },
      },
    });
    return text(`Elicitation completed: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`);
  });
}

function registerInputRequired(s: McpServer, codec: ReturnType<typeof createRequestStateCodec>): void {
  const askName = (key: string, message: string) => ({ [key]: inputRequired.elicit({ message, requestedSchema: fromJsonSchema(NAME_SCHEMA) }) });
  s.registerTool('test_input_required_result_elicitation', { description: 'Asks for a name (MRTR)' }, (ctx) => {
    const got = acceptedContent(ctx.mcpReq.inputResponses, 'user_name');
    if (typeof got?.name !== 'string') return inputRequired({ inputRequests: askName('user_name', 'What is your name?') });
    return text(`Hello, ${got.name}!`);
  });
  s.registerTool('test_input_required_result_sampling', { description: 'Asks for a completion (MRTR)' }, (ctx) => {
    const got = inputResponse(ctx.mcpReq.inputResponses, 'capital_question');
    if (got.kind !== 'sampling') {
      return inputRequired({
        inputRequests: { capital_question: inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'What is the capital of France?' } }], maxTokens: 100 }) },
      });
    }
    return text(`The model said: ${JSON.stringify(got.result.content)}`);
  });
  s.registerTool('test_input_required_result_list_roots', { description: 'Asks for roots (MRTR)' }, (ctx) => {
    const got = inputResponse(ctx.mcpReq.inputResponses, 'client_roots');
    if (got.kind !== 'roots') return inputRequired({ inputRequests: { client_roots: inputRequired.listRoots() } });
    return text(`Roots: ${got.roots.map((r) => r.uri).join(', ')}`);
  });
  const confirm = { confirm: inputRequired.elicit({ message: 'Please confirm', requestedSchema: fromJsonSchema({ type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] }) }) };
  s.registerTool('test_input_required_result_request_state', { description: 'Round-trips requestState (MRTR)' }, async (ctx) => {
    const state = ctx.mcpReq.requestState<{ round: number }>();
    if (state?.round !== 1 || inputResponse(ctx.mcpReq.inputResponses, 'confirm').kind !== 'elicit') {
      return inputRequired({ inputRequests: confirm, requestState: await codec.mint({ round: 1 }, ctx) });
    }
    return text('state-ok: confirmed');
  });
  s.registerTool('test_input_required_result_tampered_state', { description: 'Rejects tampered requestState (MRTR)' }, async (ctx) => {
    if (ctx.mcpReq.requestState<{ round: number }>()?.round !== 1) return inputRequired({ inputRequests: confirm, requestState: await codec.mint({ round: 1 }, ctx) });
    return text('state-ok');
  });
  s.registerTool('test_input_required_result_multiple_inputs', { description: 'Asks three things at once (MRTR)' }, async (ctx) => {
    const r = ctx.mcpReq.inputResponses;
    const done = ['user_name', 'greeting', 'client_roots'].every((k) => inputResponse(r, k).kind !== 'missing');
    if (!done || ctx.mcpReq.requestState<{ round: number }>()?.round !== 1) {
      return inputRequired({
        inputRequests: {
          ...askName('user_name', 'What is your name?'),
          greeting: inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'Generate a greeting' } }], maxTokens: 50 }),
          client_roots: inputRequired.listRoots(),
        },
        requestState: await codec.mint({ round: 1 }, ctx),
      });
    }
    return text('all inputs received');
  });
  s.registerTool('test_input_required_result_multi_round', { description: 'Two rounds (MRTR)' }, async (ctx) => {
    const round = ctx.mcpReq.requestState<{ round: number }>()?.round ?? 0;
    const r = ctx.mcpReq.inputResponses;
    if (round === 1 && inputResponse(r, 'step1').kind === 'elicit') {
      const color = fromJsonSchema({ type: 'object', properties: { color: { type: 'string' } }, required: ['color'] });
      return inputRequired({ inputRequests: { step2: inputRequired.elicit({ message: 'Step 2: What is your favorite color?', requestedSchema: color }) }, requestState: await codec.mint({ round: 2 }, ctx) });
    }
    if (round === 2 && inputResponse(r, 'step2').kind === 'elicit') return text('both steps done');
    return inputRequired({ inputRequests: askName('step1', 'Step 1: What is your name?'), requestState: await codec.mint({ round: 1 }, ctx) });
  });
  s.registerPrompt('test_input_required_result_prompt', { description: 'A prompt that needs context (MRTR)' }, (ctx) => {
    const got = acceptedContent(ctx.mcpReq.inputResponses, 'user_context');
    if (typeof got?.context !== 'string') {
      const schema = fromJsonSchema({ type: 'object', properties: { context: { type: 'string' } }, required: ['context'] });
      return inputRequired({ inputRequests: { user_context: inputRequired.elicit({ message: 'What context should the prompt use?', requestedSchema: schema }) } });
    }
    return { messages: [{ role: 'user', content: { type: 'text', text: `Context: ${got.context}` } }] };
  });
}

function registerResources(s: McpServer): void {
  s.registerResource('static-text', 'test://static-text', { description: 'A static text resource', mimeType: 'text/plain' }, (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }],
  }));
  s.registerResource('static-binary', 'test://static-binary', { description: 'A static binary resource', mimeType: 'image/png' }, (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'image/png', blob: PNG }],
  }));
  s.registerResource('watched-resource', 'test://watched-resource', { description: 'A resource to subscribe to', mimeType: 'text/plain' }, (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'watched' }],
  }));
  s.registerResource('template', new ResourceTemplate('test://template/{id}/data', { list: undefined }), { description: 'A templated resource', mimeType: 'application/json' }, (uri, { id }) => ({
    contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${String(id)}` }) }],
  }));
  const subscribed = new Set<string>();
  s.server.setRequestHandler('resources/subscribe', (req) => {
    subscribed.add(req.params.uri);
    return {};
  });
  s.server.setRequestHandler('resources/unsubscribe', (req) => {
    subscribed.delete(req.params.uri);
    return {};
  });
}

function registerPrompts(s: McpServer): void {
  s.registerPrompt('test_simple_prompt', { description: 'A simple prompt' }, () => ({ messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }] }));
  s.registerPrompt('test_prompt_with_arguments', { description: 'A prompt with arguments', argsSchema: z.object({ arg1: z.string(), arg2: z.string() }) }, ({ arg1, arg2 }) => ({
    messages: [{ role: 'user', content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` } }],
  }));
  s.registerPrompt('test_prompt_with_embedded_resource', { description: 'A prompt embedding a resource', argsSchema: z.object({ resourceUri: z.string() }) }, ({ resourceUri }) => ({
    messages: [
      { role: 'user', content: { type: 'resource', resource: { uri: resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' } } },
      { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
    ],
  }));
  s.registerPrompt('test_prompt_with_image', { description: 'A prompt with an image' }, () => ({
    messages: [
      { role: 'user', content: { type: 'image', data: PNG, mimeType: 'image/png' } },
      { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
    ],
  }));
  s.server.setRequestHandler('completion/complete', () => ({ completion: { values: ['paris', 'park', 'party'], total: 3, hasMore: false } }));
}

/** The server on a free loopback port; it checks Host and Origin as a localhost server must. */
export async function startConformanceServer(): Promise<RunningConformanceServer> {
  const codec = createRequestStateCodec({ key: 'conformance-server-request-state-key-0123456789' });
  const handler = createMcpHandler(() => build(codec));
  const node = toNodeHandler({
    fetch: async (req: Request) => hostHeaderValidationResponse(req, localhostAllowedHostnames()) ?? originValidationResponse(req, localhostAllowedOrigins()) ?? handler.fetch(req),
  }) as (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;
  const server = http.createServer((req, res) => void node(req, res));
  const listening = await listenLoopback(server);
  return {
    origin: listening.origin,
    url: `${listening.origin}/mcp`,
    close: async () => {
      await listening.close();
      await handler.close?.();
    },
  };
}
