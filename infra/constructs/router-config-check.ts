// Every router config the CDK app renders goes through the router's own loader before it can reach a
// task: a config the router refuses (exit 2) would only show up as a crash-looping fleet. A refusal is
// reported against the regions-file key the operator can change, with the router's own words.

import { RegionsFileError, PUBLIC_KEYS_HINT } from '../../router/contracts/regions-file.ts';
import { ConfigError, parseConfigText } from '../../router/config/load.ts';
import { CONFIG_PATH } from './router-config.ts';

interface RegionsKey {
  readonly key: string;
  readonly hint?: string;
}

/** Router config keys that the regions file decides, and the key there that decides them. */
const REGIONS_KEY_OF: Readonly<Record<string, RegionsKey>> = {
  'table.public_keys': { key: 'public_keys', hint: PUBLIC_KEYS_HINT },
  'table.id': { key: 'table_id' },
  'table.dynamodb.id': { key: 'table_id' },
  'table.dynamodb.table': { key: 'table_name' },
};

/**
 * Loads `text` as `passage --config` would on a task of `region`. A refusal caused by a regions-file
 * value is a RegionsFileError naming that key; anything else is the renderer's bug and says so.
 */
export function checkRouterConfig(text: string, region: string): void {
  try {
    parseConfigText(text, CONFIG_PATH, {});
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const said = error.problems.map((p) => (p.key === '' ? p.message : `${p.key}: ${p.message}`)).join('; ');
    const mapped = error.problems.map((p) => REGIONS_KEY_OF[p.key]).find((k) => k !== undefined);
    if (mapped === undefined) {
      throw new Error(`infra/constructs/router-config.ts rendered a config the router refuses in ${region} (a bug; please report it): ${said}`, { cause: error });
    }
    const hint = mapped.hint === undefined ? '' : `; ${mapped.hint}`;
    throw new RegionsFileError(mapped.key, `the routers in ${region} would refuse their config (${said})${hint}`);
  }
}
