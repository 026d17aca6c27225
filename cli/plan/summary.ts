// The pull-request plan as Markdown (a GitHub job summary, and the PR comment): what `deploy
// --all-regions --dry-run --json`, `dns plan --json`, `waf plan --json` and `table diff --json` said,
// one section each. Pure: it reads the commands' JSON as text, so a step that failed (an error
// document, no output at all, or something that is not JSON) becomes a line in its section, never a
// crash of the summary.

/** GitHub refuses comments over 65 536 characters; the summary stays below, with room for the marker. */
export const MAX_SUMMARY_CHARS = 60_000;
/** A stack's `cdk diff` text is cut after this much: the full text is in the job log. */
export const MAX_DIFF_CHARS = 6_000;
/** Lines listed per section before "… and N more". */
export const MAX_ITEMS = 50;
/** The first line of every summary: the workflow edits its own earlier comment instead of adding one. */
export const SUMMARY_MARKER = '<!-- passage-plan -->';

export interface PlanOutputs {
  /** NDJSON from `passagectl deploy --all-regions --dry-run --json`. */
  readonly deploy?: string;
  /** JSON from `passagectl --json dns plan`. */
  readonly dns?: string;
  /** JSON from `passagectl --json waf plan`. */
  readonly waf?: string;
  /** JSON from `passagectl --json table diff FILE --from LOCATION`. */
  readonly table?: string;
}

export interface PlanSummary {
  readonly markdown: string;
  /** Whether any part would change something (the PR would change the fleet when merged). */
  readonly changes: boolean;
  /** Whether any part could not be planned. */
  readonly failed: boolean;
}

type Section = { readonly title: string; readonly lines: readonly string[]; readonly changes: boolean; readonly failed: boolean };

/** Text a plan carries (stack names, record names, route ids) as inline Markdown that cannot break out. */
function code(value: unknown): string {
  const text = String(value ?? '').replace(/[\r\n]+/g, ' ').slice(0, 300);
  return `\`${text.replace(/`/g, "'")}\``;
}

function fenced(text: string): string[] {
  const cut = text.length > MAX_DIFF_CHARS ? `${text.slice(0, MAX_DIFF_CHARS)}\n… (cut; the whole diff is in the job log)` : text;
  // A fence longer than any run of backticks inside cannot be closed by the text.
  const longest = Math.max(2, ...[...cut.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return [`${fence}diff`, cut.replace(/\s+$/, ''), fence];
}

function capped(items: readonly string[]): string[] {
  return items.length > MAX_ITEMS ? [...items.slice(0, MAX_ITEMS), `- … and ${items.length - MAX_ITEMS} more`] : [...items];
}

/** A JSON document, an error document (`{ ok: false, error }`) or nothing: one of three answers. */
function readJson(text: string | undefined, title: string): { doc: Record<string, any> } | { section: Section } {
  if (text === undefined || text.trim() === '') return { section: { title, lines: ['_Not planned: the step wrote nothing (see the job log)._'], changes: false, failed: true } };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { section: { title, lines: ['_Not planned: the step did not write JSON (see the job log)._'], changes: false, failed: true } };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { section: { title, lines: ['_Not planned: unexpected output._'], changes: false, failed: true } };
  const error = (doc as { ok?: unknown; error?: { code?: unknown; message?: unknown } }).error;
  if ((doc as { ok?: unknown }).ok === false && error !== undefined) {
    return { section: { title, lines: [`**Failed**: ${code(error.code)} ${code(error.message)}`], changes: false, failed: true } };
  }
  return { doc: doc as Record<string, any> };
}

export function deploySection(ndjson: string | undefined): Section {
  const title = 'Stacks (`passagectl deploy --all-regions --dry-run`)';
  const events: Record<string, any>[] = [];
  for (const line of (ndjson ?? '').split('\n')) {
    if (line.trim() === '') continue;
    try {
      const event = JSON.parse(line) as unknown;
      if (typeof event === 'object' && event !== null) events.push(event as Record<string, any>);
    } catch {
      // npx or CDK noise on stdout: not an event.
    }
  }
  const error = events.find((e) => e.ok === false && e.error !== undefined);
  if (error !== undefined) return { title, lines: [`**Failed**: ${code(error.error.code)} ${code(error.error.message)}`], changes: false, failed: true };
  const diffs = events.filter((e) => e.type === 'diff');
  const results = events.filter((e) => e.type === 'result');
  if (diffs.length === 0 && results.length === 0) return { title, lines: ['_Not planned: the dry run wrote no events (see the job log)._'], changes: false, failed: true };
  const failed = results.some((r) => r.outcome === 'failed' || r.outcome === 'rolled-back');
  const changed = diffs.filter((d) => d.changes === true);
  const lines = [
    changed.length === 0 ? 'No stack would change.' : `${changed.length} of ${diffs.length} stacks would change:`,
    ...capped(diffs.map((d) => `- ${code(d.target)}: ${d.changes === true ? '**changes**' : 'no changes'}`)),
  ];
  for (const d of changed.slice(0, MAX_ITEMS)) {
    lines.push('', `<details><summary>${code(d.target)}</summary>`, '', ...fenced(String(d.text ?? '')), '', '</details>');
  }
  for (const r of results.filter((x) => x.outcome === 'failed')) lines.push(`**Failed** ${code(r.target)}: ${code(r.message)}`);
  return { title, lines, changes: changed.length > 0, failed };
}

export function dnsSection(text: string | undefined): Section {
  const title = 'GeoDNS (`passagectl dns plan`)';
  const read = readJson(text, title);
  if ('section' in read) return read.section;
  const changes = (Array.isArray(read.doc.changes) ? read.doc.changes : []) as Record<string, any>[];
  const conflicts = (Array.isArray(read.doc.conflicts) ? read.doc.conflicts : []) as Record<string, any>[];
  const sign: Record<string, string> = { CREATE: '+', UPSERT: '~', DELETE: '-' };
  const lines = [
    changes.length === 0 ? `${code(read.doc.recordName)}: in sync.` : `${code(read.doc.recordName)}: ${changes.length} record changes:`,
    ...capped(changes.map((c) => `- ${sign[String(c.action)] ?? '?'} ${code(c.setIdentifier)}${c.target === undefined ? '' : ` → ${code(c.target)}`}`)),
    ...capped(conflicts.map((c) => `- **conflict**: a ${code(c.type)} record passagectl does not manage (apply would refuse)`)),
  ];
  return { title, lines, changes: changes.length > 0, failed: conflicts.length > 0 };
}

export function wafSection(text: string | undefined): Section {
  const title = 'WAF rate rules (`passagectl waf plan`)';
  const read = readJson(text, title);
  if ('section' in read) return read.section;
  const changes = ((Array.isArray(read.doc.changes) ? read.doc.changes : []) as Record<string, any>[]).filter((c) => c.action !== 'no-op');
  const acl = read.doc.webAcl?.name;
  const lines = [
    changes.length === 0 ? `Web ACL ${code(acl)}: in sync.` : `Web ACL ${code(acl)}: ${changes.length} rule changes:`,
    ...capped(changes.map((c) => `- ${code(c.action)} ${code(c.name)}`)),
  ];
  return { title, lines, changes: changes.length > 0, failed: false };
}

export function tableSection(text: string | undefined): Section {
  const title = 'Routing table (`passagectl table diff`)';
  if (text === undefined) return { title, lines: ['_Not planned: no table location is configured (PASSAGE_TABLE_LOCATION)._'], changes: false, failed: false };
  const read = readJson(text, title);
  if ('section' in read) return read.section;
  const d = read.doc;
  const from = d.fromVersion === null || d.fromVersion === undefined ? 'nothing published' : `v${Number(d.fromVersion)}`;
  if (d.identical === true) return { title, lines: [`Same routes as the published table (${from}).`], changes: false, failed: false };
  const routes = (key: string): Record<string, any>[] => (Array.isArray(d[key]) ? d[key] : []);
  const lines = [
    `${from} → v${Number(d.toVersion)}: ${routes('added').length} routes added, ${routes('removed').length} removed, ${routes('changed').length} changed.`,
    ...capped([
      ...routes('added').map((r) => `- + route ${code(r.id)}`),
      ...routes('removed').map((r) => `- - route ${code(r.id)}`),
      ...routes('changed').map((r) => {
        const t = r.targets ?? {};
        const fields = (Array.isArray(r.changes) ? r.changes : []).map((c: { field: unknown }) => String(c.field));
        const targets = [`${(t.added ?? []).length} targets added`, `${(t.removed ?? []).length} removed`, `${(t.changed ?? []).length} changed`].join(', ');
        return `- ~ route ${code(r.id)}${fields.length > 0 ? ` (${fields.map(code).join(', ')})` : ''}: ${targets}`;
      }),
    ]),
  ];
  return { title, lines, changes: true, failed: false };
}

export function renderPlanSummary(outputs: PlanOutputs, heading = 'Passage plan'): PlanSummary {
  const sections = [deploySection(outputs.deploy), dnsSection(outputs.dns), wafSection(outputs.waf), tableSection(outputs.table)];
  const changes = sections.some((s) => s.changes);
  const failed = sections.some((s) => s.failed);
  const verdict = failed ? '**Some parts could not be planned.**' : changes ? 'Merging applies these changes.' : 'Merging changes nothing in AWS.';
  const parts = [SUMMARY_MARKER, `## ${heading}`, '', verdict, ...sections.flatMap((s) => ['', `### ${s.title}`, '', ...s.lines])];
  let markdown = `${parts.join('\n')}\n`;
  if (markdown.length > MAX_SUMMARY_CHARS) markdown = `${markdown.slice(0, MAX_SUMMARY_CHARS)}\n\n… (cut at ${MAX_SUMMARY_CHARS} characters; the whole plan is in the job log)\n`;
  return { markdown, changes, failed };
}
