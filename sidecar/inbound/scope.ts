// The types every inbound transport shares: who is calling, the request in hand and the gateway's
// limits. They live apart from gateway.ts so the transports need not import the gateway itself.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../audit/record.ts';
import type { ToolPinning } from '../pinning/guard.ts';
import type { PolicyRuntime } from '../policy/runtime.ts';

export interface GatewayLimits {
  /** Largest JSON-RPC request body accepted. */
  readonly maxRequestBytes: number;
  /** Largest JSON response body from the server the gateway will buffer to inspect. */
  readonly maxResponseBytes: number;
  /** Largest single SSE event. */
  readonly maxEventBytes: number;
  /** Time a client has to send its request headers (slow-header attacks). */
  readonly headersTimeoutMs: number;
  /** Time a client has to send a whole request. */
  readonly requestTimeoutMs: number;
  /** How long an idle keep-alive connection is kept. */
  readonly keepAliveTimeoutMs: number;
  /** Largest request header section; larger gets 431. */
  readonly maxHeaderBytes: number;
}

export const DEFAULT_LIMITS: GatewayLimits = {
  maxRequestBytes: 4 * 1024 * 1024,
  maxResponseBytes: 32 * 1024 * 1024,
  maxEventBytes: 8 * 1024 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  maxHeaderBytes: 16 * 1024,
};

/** Who is calling, once authenticated (or anonymous when the policy turns authentication off). */
export interface Caller {
  readonly principal: Principal & { groups: string[] };
  /** Sessions are bound to this. */
  readonly key: string;
}

/** Everything a transport handler needs for one request. */
export interface RequestScope {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly runtime: PolicyRuntime;
  readonly caller: Caller;
  readonly started: bigint;
  /** Aborted when the client disconnects before the response is complete. */
  readonly signal: AbortSignal;
  /** Tool pinning (rug-pull defence), when the sidecar has a pin store. */
  readonly pinning?: ToolPinning | undefined;
}
