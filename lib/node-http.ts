// node:http, read through require. An ESM `import http from 'node:http'` builds the module's
// namespace by reading every export, and three of node:http's are lazy getters (WebSocket,
// CloseEvent, MessageEvent) that load Node's bundled undici and web streams to answer: on
// Node 24 that one import cost ~55 ms of CPU and ~11 MB of RSS that require does not
// (issue 17), in every pod, for classes the sidecar never uses. Value imports of node:http
// go through here; `import type` from it is erased and costs nothing.
import { createRequire } from 'node:module';
import type * as Http from 'node:http';

const http = createRequire(import.meta.url)('node:http') as typeof Http;
export default http;
