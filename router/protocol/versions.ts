// Java Edition protocol numbers. Transfer (and so transfer routes) needs 766 (1.20.5) or newer.

export const TRANSFER_MIN_PROTOCOL = 766;

export const PROTOCOL_NAMES: ReadonlyMap<number, string> = new Map([
  [766, '1.20.5/1.20.6'],
  [767, '1.21/1.21.1'],
  [768, '1.21.2/1.21.3'],
  [769, '1.21.4'],
  [770, '1.21.5'],
  [771, '1.21.6'],
  [772, '1.21.7/1.21.8'],
  [773, '1.21.9/1.21.10'],
  [774, '1.21.11'],
  [775, '26.1'],
]);

export const NEWEST_PROTOCOL = 775;
export const NEWEST_VERSION_NAME = '26.1';

export function isSupportedProtocol(protocol: number): boolean {
  return PROTOCOL_NAMES.has(protocol);
}

/** "1.20.5–26.1", for messages that tell a player which versions work. */
export const SUPPORTED_RANGE_TEXT = '1.20.5–26.1';
