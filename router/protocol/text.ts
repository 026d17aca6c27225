/**
 * Table text (MOTD, pack prompt, disconnect message) is a plain string or an already-parsed JSON text
 * component; the protocol always carries a component, so plain text becomes `{ text }`.
 */
export function textComponent(text: unknown): unknown {
  return typeof text === 'string' ? { text } : text;
}
