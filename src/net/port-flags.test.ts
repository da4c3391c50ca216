import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imagePortsFromExposed, parsePortFlag } from './port-flags.js';

describe('imagePortsFromExposed', () => {
  it('names OCI ExposedPorts as rkt named Docker ports: PORT-PROTO, tcp by default', () => {
    const ports = imagePortsFromExposed({ '80/tcp': {}, '53/udp': {}, '8080': {}, 'bad/x': {} });
    assert.deepEqual(ports.sort((a, b) => a.port - b.port), [
      { name: '53-udp', port: 53, protocol: 'udp' },
      { name: '80-tcp', port: 80, protocol: 'tcp' },
      { name: '8080-tcp', port: 8080, protocol: 'tcp' },
    ]);
    assert.deepEqual(imagePortsFromExposed(null), []);
  });
});

describe('parsePortFlag', () => {
  const ports = imagePortsFromExposed({ '80/tcp': {} });

  it('takes NAME:HOSTPORT and NAME:HOSTIP:HOSTPORT', () => {
    assert.deepEqual(parsePortFlag('80-tcp:8080', ports), { name: '80-tcp', protocol: 'tcp', podPort: 80, hostPort: 8080 });
    assert.deepEqual(parsePortFlag('80-tcp:127.0.0.1:8080', ports), { name: '80-tcp', protocol: 'tcp', podPort: 80, hostPort: 8080, hostIP: '127.0.0.1' });
  });

  it('refuses unknown names (listing the declared ones), bad ports and bad addresses', () => {
    assert.throws(() => parsePortFlag('http:8080', ports), /no app's image declares a port named "http"/);
    assert.throws(() => parsePortFlag('80-tcp:70000', ports), /not a port number/);
    assert.throws(() => parsePortFlag('80-tcp:host:80', ports), /not an IPv4 address/);
    assert.throws(() => parsePortFlag('80-tcp', ports), /expected NAME:\[HOSTIP:\]HOSTPORT/);
  });
});
