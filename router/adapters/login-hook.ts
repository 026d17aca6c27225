// `[routes.login_hook]`: one question per login, after authentication and before the transfer.
// HTTP: POST `url` with { name, uuid, ip, host, protocol, route, locale }; gRPC: the RouteAdapter's
// Login call with the same fields. The answer is { action: "allow" }, { action: "deny", message? } or
// { action: "target", target: "<target id>" }. Whatever goes wrong (no answer in time, a refused URL,
// an HTTP error, garbage) is an `error` outcome, which the route's `on_error` turns into allow or deny.
// Never rejects. The URL may carry a token: messages show it redacted.
import { redactUrl } from '../redact-url.ts';
import { textProblem } from '../table/bounds.ts';
import type { LoginHookConfig } from '../table/policy-types.ts';
import { MAX_ACCESS_MESSAGE_CHARS } from '../table/schema-policy.ts';
import { isPlainObject } from '../table/schema-kit.ts';
import { parseJson, readBodyCapped } from './documents.ts';
import { AdapterError, adapterErrorCode, fetchError } from './errors.ts';
import { httpUrlProblem, STRICT_ADAPTER_POLICY, type AdapterPolicy } from './policy.ts';

/** A hook answer is a few fields: anything larger is not one. */
export const MAX_LOGIN_HOOK_RESPONSE_BYTES = 16 * 1024;
const TARGET_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export interface LoginHookRequest {
  readonly name: string;
  /** With dashes, as in Login Success. */
  readonly uuid: string;
  readonly ip: string;
  readonly host: string;
  readonly protocol: number;
  readonly route: string;
  /** From Client Information; empty when not sent. */
  readonly locale: string;
}

export type LoginHookAnswer =
  | { readonly kind: 'allow' }
  | { readonly kind: 'deny'; readonly message?: string }
  | { readonly kind: 'target'; readonly target: string };

export type LoginHookOutcome = LoginHookAnswer | { readonly kind: 'error'; readonly code: string; readonly message: string };

/** Validates a hook's answer (the JSON body, or the gRPC message with proto3's empty strings as absent). */
export function parseLoginHookAnswer(doc: unknown, what: string): LoginHookAnswer {
  const bad = (why: string): never => {
    throw new AdapterError('ERR_ADAPTER_BAD_RESPONSE', `${what}: ${why}`);
  };
  if (!isPlainObject(doc)) return bad('the answer must be a JSON object with an "action"');
  const { action, message, target } = doc;
  switch (action) {
    case 'allow':
      return { kind: 'allow' };
    case 'deny': {
      if (message === undefined || message === null || message === '') return { kind: 'deny' };
      if (typeof message !== 'string') return bad('"message" must be a string');
      if (message.length > MAX_ACCESS_MESSAGE_CHARS) return bad(`"message" is ${message.length} characters, the limit is ${MAX_ACCESS_MESSAGE_CHARS}`);
      const problem = textProblem(message);
      if (problem !== undefined) return bad(`"message" ${problem}`);
      return { kind: 'deny', message };
    }
    case 'target':
      if (typeof target !== 'string' || !TARGET_ID.test(target)) return bad('"target" must be a target id of the route');
      return { kind: 'target', target };
    default:
      return bad(`"action" must be "allow", "deny" or "target", got ${typeof action === 'string' ? JSON.stringify(action.slice(0, 40)) : typeof action}`);
  }
}

/** Asks the hook; the caller maps `error` through `on_error`. */
export async function askLoginHook(hook: LoginHookConfig, request: LoginHookRequest, policy: AdapterPolicy = STRICT_ADAPTER_POLICY): Promise<LoginHookOutcome> {
  try {
    if (hook.url !== undefined) return await postHook(hook.url, hook.timeout, request, policy);
    return await grpcHook(hook.address!, hook.timeout, request, policy);
  } catch (err) {
    return { kind: 'error', code: adapterErrorCode(err), message: (err as Error).message };
  }
}

async function postHook(url: string, timeoutMs: number, request: LoginHookRequest, policy: AdapterPolicy): Promise<LoginHookAnswer> {
  const what = `POST ${redactUrl(url)}`;
  const problem = httpUrlProblem(policy, url);
  if (problem !== undefined) throw new AdapterError('ERR_ADAPTER_NOT_ALLOWED', `${what}: ${problem}`);
  const signal = AbortSignal.timeout(timeoutMs);
  let text: string;
  try {
    const res = await fetch(url, {
      method: 'POST',
      signal,
      redirect: 'error',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(request),
    });
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new AdapterError('ERR_ADAPTER_HTTP_STATUS', `${what}: HTTP ${res.status}`);
    }
    text = await readBodyCapped(res, MAX_LOGIN_HOOK_RESPONSE_BYTES, what);
  } catch (err) {
    throw fetchError(err, what, timeoutMs);
  }
  return parseLoginHookAnswer(parseJson(text, what), what);
}

/** gRPC hook clients by address; a few per router (the tables' hooks), closed when evicted. */
const GRPC_CLIENTS = new Map<string, import('./grpc.ts').AdapterClient>();
const MAX_GRPC_CLIENTS = 32;

async function grpcHook(address: string, timeoutMs: number, request: LoginHookRequest, policy: AdapterPolicy): Promise<LoginHookAnswer> {
  // Loaded on first use: routers without a gRPC hook never load grpc-js.
  const { AdapterClient } = await import('./grpc.ts');
  const key = `${address}\0${policy.allowPlainHttp.join(',')}`;
  let client = GRPC_CLIENTS.get(key);
  if (client === undefined) {
    if (GRPC_CLIENTS.size >= MAX_GRPC_CLIENTS) {
      const [oldest, old] = GRPC_CLIENTS.entries().next().value!;
      GRPC_CLIENTS.delete(oldest);
      old.close();
    }
    client = new AdapterClient(address, policy);
    GRPC_CLIENTS.set(key, client);
  }
  const res = await client.call<object, Record<string, unknown>>('Login', {
    route: request.route,
    player: { id: request.uuid.replaceAll('-', ''), name: request.name, ip: request.ip, protocol: request.protocol, host: request.host, locale: request.locale },
  }, timeoutMs);
  return parseLoginHookAnswer(res, `Login at ${address}`);
}
