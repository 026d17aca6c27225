/**
 * smol-toml returns integers as bigint (when large) and dates as date objects; the table document is
 * JSON, so both routes files and signed payloads go through this before validation.
 */
export function tomlToJsonValues(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(tomlToJsonValues);
  if (v !== null && typeof v === 'object') {
    if (typeof (v as { toISOString?: unknown }).toISOString === 'function') return (v as Date).toISOString();
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, tomlToJsonValues(x)]));
  }
  return v;
}
