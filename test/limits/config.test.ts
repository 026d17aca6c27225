// The hardening keys: defaults, validation messages that name the key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildConfig, ConfigError } from '../../router/config/load.ts';

function problems(raw: Record<string, unknown>): string {
  try {
    buildConfig(raw, 'passage.toml');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.message;
  }
  return '';
}

test('the hardening keys have safe defaults', () => {
  const c = buildConfig({}, 'passage.toml');
  assert.deepEqual(c.rateLimiter, { enabled: true, durationMs: 60_000, size: 60, statusSize: 60, ipv4Prefix: 32, ipv6Prefix: 64, maxTracked: 100_000 });
  assert.equal(c.limits.handshakeTimeoutMs, 5000);
  assert.equal(c.limits.maxPending, 10_000);
  assert.equal(c.limits.maxPendingPerIp, 16);
  assert.deepEqual(c.proxyProtocol, { enabled: false, trustedProxies: [], headerTimeoutMs: 5000 });
});

test('out-of-range prefixes and a zero window are refused with the key named', () => {
  assert.match(problems({ rate_limiter: { ipv4_prefix: 33 } }), /rate_limiter\.ipv4_prefix: must be at most 32, got 33/);
  assert.match(problems({ rate_limiter: { ipv6_prefix: 16 } }), /rate_limiter\.ipv6_prefix: must be at least 32, got 16/);
  assert.match(problems({ rate_limiter: { duration: 0 } }), /rate_limiter\.duration: must be longer than 0/);
  assert.match(problems({ limits: { max_pending_per_ip: 0 } }), /limits\.max_pending_per_ip: must be at least 1/);
});

test('PROXY protocol on without trusted proxies is refused; bad CIDRs are named', () => {
  assert.match(problems({ proxy_protocol: { enabled: true } }), /proxy_protocol\.trusted_proxies: required when proxy_protocol\.enabled = true/);
  assert.match(problems({ proxy_protocol: { enabled: true, trusted_proxies: ['10.0.0.0/33'] } }), /not a CIDR: "10\.0\.0\.0\/33"/);
  assert.equal(problems({ proxy_protocol: { enabled: true, trusted_proxies: ['10.0.0.0/8', '2001:db8::/32'] } }), '');
});
