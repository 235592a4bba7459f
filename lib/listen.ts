// Listen addresses as flags give them: "0.0.0.0:15080", "127.0.0.1:0", "[::1]:15090", ":15080".

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** Throws an Error whose message names the flag and the expected form, with `example` as the example. */
export function parseListen(value: string, flag: string, example = '0.0.0.0:15080'): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/u.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`${flag}: "${value}" is not HOST:PORT (e.g. ${example})`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}
