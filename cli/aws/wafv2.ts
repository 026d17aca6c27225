// Thin WAFv2 client for the table endpoint's web ACL: find it, read it with its LockToken, write a new
// rule list. UpdateWebACL replaces the whole configuration, so every other setting is sent back as read.
// CLOUDFRONT-scoped ACLs are served only by the us-east-1 endpoint: build the client there.

import {
  GetWebACLCommand,
  ListWebACLsCommand,
  UpdateWebACLCommand,
  WAFOptimisticLockException,
  type Rule,
  type Scope,
  type WAFV2Client,
  type WebACL,
} from '@aws-sdk/client-wafv2';
import { WebAclNotFoundError } from './errors.ts';
import type { RateRuleSpec } from '../../router/contracts/regions-file.ts';
import { planWafRules, type WafPlan } from './waf-plan.ts';

export interface WebAclRef {
  readonly name: string;
  readonly id: string;
  readonly scope: Scope;
}

export interface WebAclState {
  readonly webAcl: WebACL;
  readonly lockToken: string;
}

const MAX_PAGES = 100;

export async function findWebAcl(client: WAFV2Client, name: string, scope: Scope): Promise<WebAclRef> {
  let marker: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const out = await client.send(new ListWebACLsCommand({ Scope: scope, Limit: 100, ...(marker ? { NextMarker: marker } : {}) }));
    const found = (out.WebACLs ?? []).find((acl) => acl.Name === name);
    if (found?.Id) return { name, id: found.Id, scope };
    if (!out.NextMarker || (out.WebACLs ?? []).length === 0) break;
    marker = out.NextMarker;
  }
  throw new WebAclNotFoundError(name, scope);
}

export async function getWebAcl(client: WAFV2Client, ref: WebAclRef): Promise<WebAclState> {
  const out = await client.send(new GetWebACLCommand({ Name: ref.name, Id: ref.id, Scope: ref.scope }));
  if (!out.WebACL || !out.LockToken) throw new WebAclNotFoundError(ref.name, ref.scope);
  return { webAcl: out.WebACL, lockToken: out.LockToken };
}

/** Writes `rules` and keeps every other setting of the ACL; returns the next LockToken. */
export async function updateWebAclRules(
  client: WAFV2Client,
  ref: WebAclRef,
  state: WebAclState,
  rules: readonly Rule[],
): Promise<string | undefined> {
  const acl = state.webAcl;
  const out = await client.send(
    new UpdateWebACLCommand({
      Name: ref.name,
      Id: ref.id,
      Scope: ref.scope,
      LockToken: state.lockToken,
      DefaultAction: acl.DefaultAction,
      VisibilityConfig: acl.VisibilityConfig,
      Rules: [...rules],
      ...(acl.Description !== undefined ? { Description: acl.Description } : {}),
      ...(acl.DataProtectionConfig ? { DataProtectionConfig: acl.DataProtectionConfig } : {}),
      ...(acl.CustomResponseBodies ? { CustomResponseBodies: acl.CustomResponseBodies } : {}),
      ...(acl.CaptchaConfig ? { CaptchaConfig: acl.CaptchaConfig } : {}),
      ...(acl.ChallengeConfig ? { ChallengeConfig: acl.ChallengeConfig } : {}),
      ...(acl.TokenDomains ? { TokenDomains: acl.TokenDomains } : {}),
      ...(acl.AssociationConfig ? { AssociationConfig: acl.AssociationConfig } : {}),
      ...(acl.OnSourceDDoSProtectionConfig ? { OnSourceDDoSProtectionConfig: acl.OnSourceDDoSProtectionConfig } : {}),
      ...(acl.ApplicationConfig ? { ApplicationConfig: acl.ApplicationConfig } : {}),
    }),
  );
  return out.NextLockToken;
}

export interface SyncWafResult {
  readonly plan: WafPlan;
  readonly applied: boolean;
}

/**
 * get → plan → update. A plan without changes sends nothing. If someone else changed the ACL between
 * our read and our write (WAFOptimisticLockException), read and plan once more before giving up.
 */
export async function syncWafRules(
  client: WAFV2Client,
  ref: WebAclRef,
  desired: readonly RateRuleSpec[],
  options: { readonly dryRun?: boolean } = {},
): Promise<SyncWafResult> {
  for (let attempt = 0; ; attempt++) {
    const state = await getWebAcl(client, ref);
    const plan = planWafRules(desired, state.webAcl.Rules ?? []);
    if (options.dryRun || !plan.hasChanges) return { plan, applied: false };
    try {
      await updateWebAclRules(client, ref, state, plan.rules);
      return { plan, applied: true };
    } catch (error) {
      if (error instanceof WAFOptimisticLockException && attempt === 0) continue;
      throw error;
    }
  }
}
