// HTTP/1.1 request smuggling (RFC 9112 section 6.3): a request whose length two parsers could
// read differently is refused, never forwarded. Node's parser already rejects most of these;
// this checks again on the raw header list, whatever parser options the server was built with,
// because the egress port sits in front of servers that parse differently. Pure.

/** Why the request's framing is ambiguous, or undefined when it is sound. */
export function framingProblem(rawHeaders: readonly string[]): string | undefined {
  const lengths: string[] = [];
  const codings: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (name === 'content-length') lengths.push(rawHeaders[i + 1]!);
    else if (name === 'transfer-encoding') codings.push(rawHeaders[i + 1]!);
    else if (name.trim() !== name) return 'a header name has surrounding whitespace';
  }
  if (lengths.length > 1) return 'more than one Content-Length header';
  if (lengths.length === 1 && !/^\d{1,15}$/u.test(lengths[0]!.trim())) return 'Content-Length is not a plain number';
  if (codings.length > 0 && lengths.length > 0) return 'both Content-Length and Transfer-Encoding';
  if (codings.length > 1) return 'more than one Transfer-Encoding header';
  if (codings.length === 1 && codings[0]!.trim().toLowerCase() !== 'chunked') return `Transfer-Encoding ${JSON.stringify(codings[0])} (only chunked is accepted)`;
  return undefined;
}
