import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import {
  GetWebACLCommand,
  ListWebACLsCommand,
  UpdateWebACLCommand,
  WAFOptimisticLockException,
  WAFV2Client,
  type WebACL,
} from '@aws-sdk/client-wafv2';
import { mockClient } from 'aws-sdk-client-mock';
import { WebAclNotFoundError } from '../../../cli/aws/errors.ts';
import type { RateRuleSpec } from '../../../router/contracts/regions-file.ts';
import { toWafRule } from '../../../cli/aws/waf-plan.ts';
import { findWebAcl, syncWafRules, type WebAclRef } from '../../../cli/aws/wafv2.ts';

const waf = mockClient(WAFV2Client);
const client = new WAFV2Client({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
const ref: WebAclRef = { name: 'passage-prod-table-endpoint', id: 'acl-1', scope: 'CLOUDFRONT' };
const perIp: RateRuleSpec = { name: 'per-ip', limit: 600, windowSeconds: 300, aggregation: 'IP' };

function acl(rules: WebACL['Rules']): WebACL {
  return {
    Name: ref.name,
    Id: ref.id,
    ARN: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/passage-prod-table-endpoint/acl-1',
    DefaultAction: { Allow: {} },
    Description: 'Passage table endpoint',
    VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: ref.name },
    CustomResponseBodies: { slow: { ContentType: 'TEXT_PLAIN', Content: 'slow down' } },
    Rules: rules,
  };
}

beforeEach(() => waf.reset());

describe('findWebAcl', () => {
  test('pages through ListWebACLs until the name appears', async () => {
    waf
      .on(ListWebACLsCommand)
      .resolvesOnce({ WebACLs: [{ Name: 'other', Id: 'x' }], NextMarker: 'm1' })
      .resolvesOnce({ WebACLs: [{ Name: ref.name, Id: 'acl-1' }], NextMarker: 'm2' });
    assert.deepEqual(await findWebAcl(client, ref.name, 'CLOUDFRONT'), ref);
    assert.deepEqual(
      waf.commandCalls(ListWebACLsCommand).map((c) => c.args[0].input.NextMarker),
      [undefined, 'm1'],
    );
  });

  test('says which ACL is missing', async () => {
    waf.on(ListWebACLsCommand).resolves({ WebACLs: [] });
    await assert.rejects(findWebAcl(client, ref.name, 'CLOUDFRONT'), WebAclNotFoundError);
  });
});

describe('syncWafRules', () => {
  test('reads the ACL with its LockToken and writes the planned rules, keeping the other settings', async () => {
    waf.on(GetWebACLCommand).resolves({ WebACL: acl([]), LockToken: 'lock-1' });
    waf.on(UpdateWebACLCommand).resolves({ NextLockToken: 'lock-2' });

    const result = await syncWafRules(client, ref, [perIp]);
    assert.equal(result.applied, true);
    const [update] = waf.commandCalls(UpdateWebACLCommand);
    const input = update.args[0].input;
    assert.equal(input.LockToken, 'lock-1');
    assert.deepEqual(input.Rules, [toWafRule(perIp, 0)]);
    assert.deepEqual(input.DefaultAction, { Allow: {} });
    assert.deepEqual(input.CustomResponseBodies, { slow: { ContentType: 'TEXT_PLAIN', Content: 'slow down' } });
    assert.equal(input.Description, 'Passage table endpoint');
    assert.deepEqual([input.Name, input.Id, input.Scope], [ref.name, ref.id, 'CLOUDFRONT']);
  });

  test('a second apply that changes nothing sends no UpdateWebACL', async () => {
    waf.on(GetWebACLCommand).resolves({ WebACL: acl([toWafRule(perIp, 0)]), LockToken: 'lock-2' });
    const result = await syncWafRules(client, ref, [perIp]);
    assert.equal(result.applied, false);
    assert.equal(result.plan.hasChanges, false);
    assert.equal(waf.commandCalls(UpdateWebACLCommand).length, 0);
  });

  test('a dry run reads and plans only', async () => {
    waf.on(GetWebACLCommand).resolves({ WebACL: acl([]), LockToken: 'lock-1' });
    const result = await syncWafRules(client, ref, [perIp], { dryRun: true });
    assert.deepEqual(result.plan.changes.map((c) => c.action), ['add']);
    assert.equal(waf.commandCalls(UpdateWebACLCommand).length, 0);
  });

  test('re-reads and re-plans once when the LockToken went stale', async () => {
    const stale = new WAFOptimisticLockException({ message: 'stale', $metadata: {} });
    waf
      .on(GetWebACLCommand)
      .resolvesOnce({ WebACL: acl([]), LockToken: 'lock-1' })
      .resolves({ WebACL: acl([]), LockToken: 'lock-9' });
    waf.on(UpdateWebACLCommand).rejectsOnce(stale).resolves({ NextLockToken: 'lock-10' });

    const result = await syncWafRules(client, ref, [perIp]);
    assert.equal(result.applied, true);
    assert.deepEqual(
      waf.commandCalls(UpdateWebACLCommand).map((c) => c.args[0].input.LockToken),
      ['lock-1', 'lock-9'],
    );
  });

  test('gives up after a second stale LockToken', async () => {
    const stale = new WAFOptimisticLockException({ message: 'stale', $metadata: {} });
    waf.on(GetWebACLCommand).resolves({ WebACL: acl([]), LockToken: 'lock-1' });
    waf.on(UpdateWebACLCommand).rejects(stale);
    await assert.rejects(syncWafRules(client, ref, [perIp]), WAFOptimisticLockException);
    assert.equal(waf.commandCalls(UpdateWebACLCommand).length, 2);
  });
});
