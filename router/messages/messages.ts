import { BUILTIN_CATALOG } from './catalog.ts';
import type { Catalog, MessageKey } from './catalog.ts';

/**
 * Looks up player-facing text: exact locale (`de_de`) → language (`de`) → the default locale →
 * English. Overrides (from the config or the table) win over built-ins at every step.
 */
export class Messages {
  readonly defaultLocale: string;
  private catalogs: readonly Catalog[];

  constructor(opts: { defaultLocale?: string; overrides?: Catalog } = {}) {
    this.defaultLocale = (opts.defaultLocale ?? 'en_us').toLowerCase();
    this.catalogs = opts.overrides === undefined ? [BUILTIN_CATALOG] : [opts.overrides, BUILTIN_CATALOG];
  }

  private lookup(locale: string, key: MessageKey): string | undefined {
    for (const catalog of this.catalogs) {
      const text = catalog[locale]?.[key];
      if (text !== undefined) return text;
    }
    return undefined;
  }

  /** A Messages whose overrides win over this one's (a table's `messages` over the config's). */
  withOverrides(overrides: Catalog | undefined, defaultLocale: string | undefined): Messages {
    if (overrides === undefined && defaultLocale === undefined) return this;
    const next = new Messages({ defaultLocale: defaultLocale ?? this.defaultLocale });
    next.catalogs = overrides === undefined ? this.catalogs : [overrides, ...this.catalogs];
    return next;
  }

  text(key: MessageKey, locale: string | undefined, params: Readonly<Record<string, string | number>> = {}): string {
    const chain: string[] = [];
    for (const l of [locale ?? this.defaultLocale, this.defaultLocale, 'en']) {
      const lower = l.toLowerCase();
      chain.push(lower);
      const lang = lower.split(/[_-]/)[0];
      if (lang !== lower) chain.push(lang);
    }
    let template: string | undefined;
    for (const l of chain) {
      template = this.lookup(l, key);
      if (template !== undefined) break;
    }
    return (template ?? key).replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
  }
}
