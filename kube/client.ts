// Typed JSON requests to the API server over node:https. One keep-alive agent for requests and
// no pooling for watches, so a long-lived watch socket is never handed to a request (and a dead
// one never poisons the pool).
import type { IncomingMessage } from 'node:http';
import { Agent, request as httpsRequest, type AgentOptions } from 'node:https';
import type { Connection } from './config.ts';
import type { ExecCredentials } from './exec.ts';
import { apiVersionOf, resourcePath, type Resource } from './resources.ts';
import { isStatus, type KubeObject, type ObjectList, type Status } from './types.ts';

export class ApiError extends Error {
  readonly status: number;
  /** the Status reason: NotFound, AlreadyExists, Conflict, Expired, Forbidden, Invalid ... */
  readonly reason: string | undefined;
  readonly body: Status | string;
  constructor(method: string, path: string, status: number, body: Status | string) {
    const detail = typeof body === 'string' ? body.slice(0, 300) : (body.message ?? body.reason ?? '');
    super(`${method} ${path}: HTTP ${status}${detail ? `: ${detail}` : ''}`);
    this.status = status;
    this.reason = typeof body === 'string' ? undefined : body.reason;
    this.body = body;
  }

  /** The error for a failed answer's body: the API server's Status when it is one, else the text. */
  static fromText(method: string, path: string, status: number, text: string): ApiError {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON: the text goes into the error */
    }
    return new ApiError(method, path, status, isStatus(body) ? body : text);
  }
}

export const isNotFound = (err: unknown): boolean => err instanceof ApiError && err.status === 404;
export const isConflict = (err: unknown): boolean => err instanceof ApiError && err.status === 409;
export const isAlreadyExists = (err: unknown): boolean => err instanceof ApiError && err.status === 409 && err.reason === 'AlreadyExists';

export type PatchType = 'merge' | 'json' | 'apply' | 'strategic';
const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  // JSON is YAML: server-side apply takes the object as JSON under this type.
  apply: 'application/apply-patch+yaml',
  strategic: 'application/strategic-merge-patch+json',
};

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  readonly query?: Query | undefined;
  readonly body?: unknown;
  readonly contentType?: string | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly timeoutMs?: number | undefined;
}

export interface ListOptions {
  readonly namespace?: string | undefined;
  readonly labelSelector?: string | undefined;
  readonly fieldSelector?: string | undefined;
  readonly limit?: number | undefined;
  readonly continue?: string | undefined;
  readonly resourceVersion?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface WriteOptions {
  readonly namespace?: string | undefined;
  readonly subresource?: string | undefined;
  readonly fieldManager?: string | undefined;
  readonly force?: boolean | undefined;
  readonly dryRun?: boolean | undefined;
}

export interface ClientOptions {
  readonly userAgent?: string;
  /** per request, not for watches; a hung socket must not hang a reconcile forever */
  readonly timeoutMs?: number;
}

export function withQuery(path: string, query: Query | undefined): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

interface Agents {
  readonly agent: Agent;
  readonly watch: Agent;
  /** the exec plugin's client certificate these agents present, if any */
  readonly cert: string | undefined;
}

interface Auth {
  readonly agents: Agents;
  readonly token: string | undefined;
}

export class KubeClient {
  readonly connection: Connection;
  readonly #tls: AgentOptions;
  #agents: Agents;
  readonly #userAgent: string;
  readonly #timeoutMs: number;

  constructor(connection: Connection, options: ClientOptions = {}) {
    this.connection = connection;
    this.#tls = {
      ca: connection.ca,
      cert: connection.cert,
      key: connection.key,
      rejectUnauthorized: !connection.insecureSkipTlsVerify,
      ...(connection.tlsServerName ? { servername: connection.tlsServerName } : {}),
    };
    this.#agents = this.#makeAgents(undefined);
    this.#userAgent = options.userAgent ?? 'mcp-residency';
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  #makeAgents(exec: ExecCredentials | undefined): Agents {
    const tls = exec?.cert !== undefined ? { ...this.#tls, cert: exec.cert, key: exec.key } : this.#tls;
    return { agent: new Agent({ ...tls, keepAlive: true, maxSockets: 32 }), watch: new Agent({ ...tls, keepAlive: false }), cert: exec?.cert };
  }

  /** Closes pooled sockets; in-flight watches end with an error. */
  close(): void {
    this.#agents.agent.destroy();
    this.#agents.watch.destroy();
  }

  /** The credentials for the next request: an exec plugin's (run when its answer expired) or the kubeconfig's. */
  async #auth(): Promise<Auth> {
    const exec = this.connection.exec;
    if (exec === undefined) return { agents: this.#agents, token: this.connection.token?.() };
    const creds = await exec.get();
    if (creds.cert !== this.#agents.cert) {
      // A new client certificate needs new TLS sessions; watches on the old agents end and are re-opened by their owners.
      const old = this.#agents;
      this.#agents = this.#makeAgents(creds);
      old.agent.destroy();
    }
    return { agents: this.#agents, token: creds.token ?? this.connection.token?.() };
  }

  #headers(auth: Auth, accept: string, contentType?: string): Record<string, string> {
    const headers: Record<string, string> = { accept, 'user-agent': this.#userAgent };
    if (contentType) headers['content-type'] = contentType;
    const token = auth.token;
    if (token) headers.authorization = `Bearer ${token}`;
    const as = this.connection.impersonate;
    if (as) {
      headers['impersonate-user'] = as.user;
      // One header per group; Node sends an array as repeated header lines.
      if (as.groups.length > 0) (headers as Record<string, string | string[]>)['impersonate-group'] = [...as.groups];
    }
    return headers;
  }

  /** A JSON request; resolves with the parsed body, throws ApiError on any non-2xx answer. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    try {
      return await this.#requestOnce<T>(method, path, options);
    } catch (err) {
      // client-go: a 401 with an exec plugin means its credential is no longer good; run it again, once.
      // The API server refused before acting, so repeating any method is safe.
      if (err instanceof ApiError && err.status === 401 && this.connection.exec !== undefined) {
        this.connection.exec.invalidate();
        return this.#requestOnce<T>(method, path, options);
      }
      // A keep-alive socket the server closed between requests fails on reuse; safe to repeat a read.
      if (method === 'GET' && !(err instanceof ApiError) && (err as NodeJS.ErrnoException).code === 'ECONNRESET' && !options.signal?.aborted) {
        return this.#requestOnce<T>(method, path, options);
      }
      throw err;
    }
  }

  async #requestOnce<T>(method: string, path: string, options: RequestOptions): Promise<T> {
    const fullPath = withQuery(path, options.query);
    const payload = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    const auth = await this.#auth();
    return new Promise<T>((resolve, reject) => {
      const req = httpsRequest(
        new URL(fullPath, this.connection.server),
        {
          method,
          agent: auth.agents.agent,
          headers: this.#headers(auth, 'application/json', payload === undefined ? undefined : (options.contentType ?? 'application/json')),
          ...(options.signal ? { signal: options.signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status < 200 || status >= 300) return reject(ApiError.fromText(method, path, status, text));
            let body: unknown = text;
            try {
              body = text === '' ? undefined : JSON.parse(text);
            } catch {
              /* not JSON: the text as it came */
            }
            resolve(body as T);
          });
        },
      );
      req.setTimeout(options.timeoutMs ?? this.#timeoutMs, () => {
        req.destroy(Object.assign(new Error(`${method} ${path}: no answer within ${options.timeoutMs ?? this.#timeoutMs} ms`), { code: 'ETIMEDOUT' }));
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  /**
   * Opens a streaming GET (a watch) on an unpooled socket. The caller owns the response: it must
   * read it to the end or destroy it. TCP keep-alive probes let the kernel notice a dead peer.
   */
  async openStream(path: string, query: Query, signal: AbortSignal): Promise<IncomingMessage> {
    const auth = await this.#auth();
    return new Promise((resolve, reject) => {
      const req = httpsRequest(new URL(withQuery(path, query), this.connection.server), {
        method: 'GET',
        agent: auth.agents.watch,
        headers: this.#headers(auth, 'application/json'),
        signal,
      });
      req.on('socket', (socket) => socket.setKeepAlive(true, 15_000));
      req.on('response', resolve);
      req.on('error', reject);
      req.end();
    });
  }

  get<T extends KubeObject>(r: Resource, name: string, namespace?: string, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', resourcePath(r, { namespace, name }), { signal });
  }

  list<T extends KubeObject>(r: Resource, options: ListOptions = {}): Promise<ObjectList<T>> {
    return this.request<ObjectList<T>>('GET', resourcePath(r, { namespace: options.namespace }), {
      query: {
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        limit: options.limit,
        continue: options.continue,
        resourceVersion: options.resourceVersion,
      },
      signal: options.signal,
    });
  }

  /** Every page of a list; the resourceVersion is the first page's (all pages share a snapshot). */
  async listAll<T extends KubeObject>(r: Resource, options: ListOptions = {}): Promise<ObjectList<T>> {
    const items: T[] = [];
    let token: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const page = await this.list<T>(r, { ...options, limit: options.limit ?? 500, continue: token });
      items.push(...page.items);
      resourceVersion ??= page.metadata.resourceVersion;
      token = page.metadata.continue || undefined;
    } while (token);
    return { metadata: { resourceVersion }, items };
  }

  create<T extends KubeObject>(r: Resource, obj: T, options: WriteOptions = {}): Promise<T> {
    const namespace = options.namespace ?? obj.metadata.namespace;
    return this.request<T>('POST', resourcePath(r, { namespace }), {
      body: { apiVersion: apiVersionOf(r), kind: r.kind, ...obj },
      query: { fieldManager: options.fieldManager, dryRun: options.dryRun ? 'All' : undefined },
    });
  }

  /** PUT: optimistic concurrency through metadata.resourceVersion (409 Conflict when stale). */
  replace<T extends KubeObject>(r: Resource, obj: T, options: WriteOptions = {}): Promise<T> {
    const namespace = options.namespace ?? obj.metadata.namespace;
    return this.request<T>('PUT', resourcePath(r, { namespace, name: obj.metadata.name, subresource: options.subresource }), {
      body: { apiVersion: apiVersionOf(r), kind: r.kind, ...obj },
      query: { fieldManager: options.fieldManager },
    });
  }

  patch<T extends KubeObject>(r: Resource, name: string, patch: unknown, type: PatchType, options: WriteOptions = {}): Promise<T> {
    return this.request<T>('PATCH', resourcePath(r, { namespace: options.namespace, name, subresource: options.subresource }), {
      body: patch,
      contentType: PATCH_CONTENT_TYPES[type],
      query: {
        fieldManager: options.fieldManager,
        force: type === 'apply' ? (options.force ?? true) : undefined,
        dryRun: options.dryRun ? 'All' : undefined,
      },
    });
  }

  /** Server-side apply of the fields in `obj` as `fieldManager` (forcing ownership by default). */
  apply<T extends KubeObject>(r: Resource, obj: T, fieldManager: string, options: Omit<WriteOptions, 'fieldManager'> = {}): Promise<T> {
    const name = obj.metadata.name;
    if (!name) throw new Error('apply needs metadata.name');
    return this.patch<T>(r, name, { apiVersion: apiVersionOf(r), kind: r.kind, ...obj }, 'apply', {
      ...options,
      namespace: options.namespace ?? obj.metadata.namespace,
      fieldManager,
    });
  }

  async delete(r: Resource, name: string, namespace?: string): Promise<void> {
    await this.request<unknown>('DELETE', resourcePath(r, { namespace, name }));
  }
}
