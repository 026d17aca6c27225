import { hash } from 'node:crypto';
import { formatUuid } from '../protocol/reader.ts';

/** The vanilla offline-mode UUID: a name-based (v3) UUID of "OfflinePlayer:<name>". */
export function offlineUuid(name: string): string {
  const md5 = hash('md5', `OfflinePlayer:${name}`, 'buffer');
  md5[6] = (md5[6] & 0x0f) | 0x30;
  md5[8] = (md5[8] & 0x3f) | 0x80;
  return formatUuid(md5.toString('hex'));
}
