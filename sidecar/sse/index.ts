// Server-sent events: incremental parsing, serialization and a mapping Transform.
export { DEFAULT_MAX_EVENT_SIZE, SseEventTooLargeError, SseParser, type SseEvent, type SseParserOptions } from './parser.ts';
export { serializeEvent, type SseEventInit } from './serialize.ts';
export { createSseTransform, type SseEventMapper, type SseTransformOptions } from './stream.ts';
