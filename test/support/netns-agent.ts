// Runs inside a test's network namespace (`ip netns exec NS node netns-agent.ts ...`), started
// as root and switching to the UID a pod's process would have before it touches the network.
//
//   listen-tcp PORT TAG      accept on all addresses, write "TAG\n" to each connection, keep going
//   listen-udp PORT          print "udp:<text>" for every datagram
//   connect UID HOST PORT [TEXT]  print "reply:<what the server wrote>" or "error:<code>" (TEXT is sent first)
//   udp-send UID HOST PORT   print "sent" or "error:<code>"
// Listeners print "ready" once bound.
import { createSocket } from 'node:dgram';
import { connect, createServer } from 'node:net';

const [command, ...args] = process.argv.slice(2);

function become(uid: string): void {
  process.setgid!(Number(uid));
  process.setuid!(Number(uid));
}

const done = (line: string): void => {
  process.stdout.write(`${line}\n`, () => process.exit(0));
};

if (command === 'listen-tcp') {
  const [port, tag] = args;
  const server = createServer((s) => {
    s.on('error', () => undefined);
    s.end(`${tag}\n`);
  });
  server.listen({ port: Number(port), host: '::', ipv6Only: false }, () => process.stdout.write('ready\n'));
} else if (command === 'listen-udp') {
  const sock = createSocket({ type: 'udp6', ipv6Only: false });
  sock.on('message', (m) => process.stdout.write(`udp:${m.toString('utf8')}\n`));
  sock.bind(Number(args[0]), '::', () => process.stdout.write('ready\n'));
} else if (command === 'connect') {
  const [uid, host, port, text] = args;
  become(uid!);
  let got = '';
  const s = connect({ host: host!, port: Number(port) });
  if (text !== undefined) s.write(text);
  s.setEncoding('utf8');
  s.on('data', (d: string) => (got += d));
  s.on('end', () => done(`reply:${got.trim()}`));
  s.on('error', (err: NodeJS.ErrnoException) => done(`error:${err.code ?? err.message}`));
  // A bound on a hung connection (e.g. a silently dropped SYN): the test then fails on "timeout".
  s.setTimeout(5000, () => done('error:timeout'));
} else if (command === 'udp-send') {
  const [uid, host, port] = args;
  become(uid!);
  const sock = createSocket(host!.includes(':') ? 'udp6' : 'udp4');
  sock.send('ping', Number(port), host, (err) => done(err ? `error:${(err as NodeJS.ErrnoException).code ?? err.message}` : 'sent'));
} else {
  process.stderr.write(`netns-agent: unknown command ${command}\n`);
  process.exit(2);
}
