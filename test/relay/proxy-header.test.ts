import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeProxyV2Header, ipv6Bytes } from '../../router/relay/proxy-header.ts';
import { parseProxyV2 } from '../helpers/relay.ts';

describe('PROXY v2 header', () => {
  test('an IPv4 connection gives the 28-byte TCP4 header of the spec', () => {
    const h = encodeProxyV2Header({ sourceAddress: '203.0.113.7', sourcePort: 51234, destinationAddress: '10.0.0.1', destinationPort: 25565 });
    assert.equal(
      h.toString('hex'),
      '0d0a0d0a000d0a515549540a' + '21' + '11' + '000c' + 'cb007107' + '0a000001' + 'c822' + '63dd',
    );
  });

  test('an IPv4-mapped IPv6 address is sent as plain IPv4', () => {
    const h = encodeProxyV2Header({ sourceAddress: '::ffff:127.0.0.1', sourcePort: 1, destinationAddress: '::ffff:127.0.0.1', destinationPort: 2 });
    assert.deepEqual(parseProxyV2(h)!.header, {
      version: 2, command: 1, family: 0x11, source: '127.0.0.1', sourcePort: 1, destination: '127.0.0.1', destinationPort: 2,
    });
  });

  test('IPv6 addresses give a TCP6 header, and a mixed pair is sent as IPv6 with the IPv4 side mapped', () => {
    const v6 = parseProxyV2(encodeProxyV2Header({ sourceAddress: '2001:db8::7', sourcePort: 3, destinationAddress: '::1', destinationPort: 4 }))!.header;
    assert.equal(v6.family, 0x21);
    assert.equal(v6.source, '2001:db8:0:0:0:0:0:7');
    assert.equal(v6.destination, '0:0:0:0:0:0:0:1');
    const mixed = parseProxyV2(encodeProxyV2Header({ sourceAddress: '198.51.100.2', sourcePort: 3, destinationAddress: '2001:db8::1', destinationPort: 4 }))!.header;
    assert.equal(mixed.family, 0x21);
    assert.equal(mixed.source, '0:0:0:0:0:ffff:c633:6402');
  });

  test('an address that is not an IP gives a LOCAL header with no addresses', () => {
    const h = encodeProxyV2Header({ sourceAddress: '', sourcePort: 0, destinationAddress: 'unix', destinationPort: 0 });
    assert.equal(h.toString('hex'), '0d0a0d0a000d0a515549540a' + '20' + '00' + '0000');
  });

  test('ipv6Bytes reads any IPv6 spelling as the URL parser does', () => {
    const canonical = (address: string): string => new URL(`http://[${address}]/`).hostname;
    fc.assert(
      fc.property(fc.ipV6(), (address) => {
        const bytes = ipv6Bytes(address);
        const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2).toString(16)).join(':');
        assert.equal(canonical(groups), canonical(address));
      }),
      { numRuns: 500 },
    );
  });
});
