import { expect } from 'chai';
import { addressVerdict, checkAddresses, classifyAddress } from '../../sidecar/egress/ssrf.ts';

describe('egress: address classes (SSRF)', () => {
  const cases: Array<[string, string]> = [
    ['8.8.8.8', 'public'],
    ['93.184.216.34', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['169.254.1.1', 'link-local'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['168.63.129.16', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['100.64.0.1', 'shared'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['198.18.0.1', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fd00:ec2::254', 'metadata'],
    ['fd12:3456::1', 'unique-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['64:ff9b::8.8.8.8', 'public'],
    ['2002:7f00:1::', 'loopback'],
    ['2001:db8::1', 'reserved'],
    ['2001::1', 'reserved'],
    ['2606:4700::1111', 'public'],
    ['2a00:1450:4001::200e', 'public'],
  ];
  for (const [address, cls] of cases) {
    it(`${address} is ${cls}`, () => expect(classifyAddress(address)).to.equal(cls));
  }

  it('refuses private addresses unless the upstream allows them', () => {
    expect(addressVerdict('10.0.0.1', { allowPrivate: false, urlHost: 'api.example' }).ok).to.equal(false);
    expect(addressVerdict('10.0.0.1', { allowPrivate: true, urlHost: 'api.example' }).ok).to.equal(true);
  });

  it('allows a private address the URL names literally, and loopback for localhost', () => {
    expect(addressVerdict('10.1.2.3', { allowPrivate: false, urlHost: '10.1.2.3' }).ok).to.equal(true);
    expect(addressVerdict('10.1.2.4', { allowPrivate: false, urlHost: '10.1.2.3' }).ok).to.equal(false);
    expect(addressVerdict('::1', { allowPrivate: false, urlHost: '[::1]' }).ok).to.equal(true);
    expect(addressVerdict('127.0.0.1', { allowPrivate: false, urlHost: 'localhost' }).ok).to.equal(true);
    expect(addressVerdict('10.0.0.1', { allowPrivate: false, urlHost: 'localhost' }).ok).to.equal(false);
  });

  it('never allows metadata, multicast or unspecified addresses, whatever the upstream says', () => {
    for (const a of ['169.254.169.254', 'fd00:ec2::254', '0.0.0.0', '224.0.0.1', '::ffff:169.254.169.254']) {
      expect(addressVerdict(a, { allowPrivate: true, urlHost: a }).ok, a).to.equal(false);
    }
  });

  it('refuses a name when any one of its addresses is refused (rebinding-shaped answers)', () => {
    const r = checkAddresses(['93.184.216.34', '127.0.0.1'], { allowPrivate: false, urlHost: 'rebind.example' });
    expect(r.ok).to.equal(false);
    expect(r.ok ? '' : r.address).to.equal('127.0.0.1');
    expect(checkAddresses([], { allowPrivate: true, urlHost: 'x' }).ok).to.equal(false);
  });
});
