#!/usr/bin/env node
// `npm run bench`: the router-core benchmark (docs/BENCHMARKS.md, "Router core").
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { imageNodeOptions, runCoreRound, SCENARIOS } from './core.ts';
import { footprintTable, measureFootprint } from './footprint.ts';
import type { ScenarioResult, TargetName } from './core.ts';
import type { ExchangeKind } from './lib/client.ts';
import { formatProfile, summarizeProfile } from './lib/profile.ts';
import { bestOf, checkTargets, resultsTable, roundByRoundTable, targetsTable } from './lib/report.ts';
import { argChecks, argsOrExit } from './lib/args.ts';

const HELP = `Usage: node scripts/bench/run.ts [options]

Status exchanges and logins → transfer per second against Passage, a bare Node socket server
and minecraft-protocol's server, each in its own process, one new TCP connection per exchange.

Options:
  --duration S      measured seconds per scenario (default 8)
  --warmup S        warm-up seconds before each measurement (default 2)
  --concurrency N   exchanges in flight in the closed loop (default 48)
  --rounds N        passes over all scenarios; the table shows the best per row (default 2)
  --targets LIST    comma-separated: bare,minecraft-protocol,passage (default all)
  --exchanges LIST  comma-separated: status,offline_login,online_login,cookie_login (default all)
  --no-half-peak    skip the open-loop latency run at half the peak rate
  --no-footprint    skip the start-up time and idle RSS rows (scripts/bench/footprint.ts)
  --max-load X      before each round, wait (up to 2 min) for the 1-minute load average to fall
                    below X (default: 0.75 × cores; the benchmark itself keeps about 2 cores busy)
  --router FILE     benchmark this router entry instead of router/main.ts (A/B a change)
  --node-arg ARG    a Node flag for the router (repeatable; default: the image's NODE_OPTIONS from
                    the Dockerfile, --max-semi-space-size=8; --node-arg= runs with none). The image
                    also runs compiled JavaScript: npm run build, then --router dist/router/main.js
  --profile DIR     run Passage with --cpu-prof, write profiles to DIR and print the hottest functions
  --json FILE       also write every round's raw results as JSON
  -h, --help        show this help`;

/** Bounded: a busy machine delays the run at most this long before it goes ahead with a warning. */
const MAX_LOAD_WAIT_MS = 120_000;

const { fail, positive } = argChecks('bench', HELP);

async function waitForQuietMachine(maxLoad: number, log: (s: string) => void): Promise<void> {
  const until = Date.now() + MAX_LOAD_WAIT_MS;
  if (loadavg()[0] <= maxLoad) return;
  log(`load average ${loadavg()[0].toFixed(2)} > ${maxLoad}: waiting for a quieter machine (at most ${MAX_LOAD_WAIT_MS / 1000} s)`);
  while (loadavg()[0] > maxLoad && Date.now() < until) await new Promise((r) => setTimeout(r, 2000));
  if (loadavg()[0] > maxLoad) log(`warning: load average still ${loadavg()[0].toFixed(2)}; numbers may be low`);
}

async function main(): Promise<void> {
  const { values } = argsOrExit('bench', HELP, () =>
    parseArgs({
      options: {
        duration: { type: 'string' },
        warmup: { type: 'string' },
        concurrency: { type: 'string' },
        rounds: { type: 'string' },
        targets: { type: 'string' },
        exchanges: { type: 'string' },
        'no-half-peak': { type: 'boolean' },
        'no-footprint': { type: 'boolean' },
        'max-load': { type: 'string' },
        profile: { type: 'string' },
        router: { type: 'string' },
        'node-arg': { type: 'string', multiple: true },
        json: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }),
  );
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const known = new Set(SCENARIOS.map((s) => s.target));
  const targets = new Set((values.targets ?? [...known].join(',')).split(',').map((t) => t.trim()) as TargetName[]);
  for (const t of targets) if (!known.has(t)) fail(`unknown target "${t}" (known: ${[...known].join(', ')})`);
  const knownKinds = new Set(SCENARIOS.map((s) => s.kind));
  const kinds = values.exchanges === undefined ? undefined : new Set(values.exchanges.split(',').map((k) => k.trim()) as ExchangeKind[]);
  for (const k of kinds ?? []) if (!knownKinds.has(k)) fail(`unknown exchange "${k}" (known: ${[...knownKinds].join(', ')})`);
  const profileDir = values.profile === undefined ? undefined : resolve(values.profile);
  if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true });
  const rounds = Math.floor(positive('rounds', values.rounds, 2));
  const maxLoad = positive('max-load', values['max-load'], 0.75 * availableParallelism());
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const opts = {
    warmupMs: positive('warmup', values.warmup, 2) * 1000,
    durationMs: positive('duration', values.duration, 8) * 1000,
    concurrency: Math.floor(positive('concurrency', values.concurrency, 48)),
    halfPeak: values['no-half-peak'] !== true,
    maxInFlight: 4096,
    targets,
    ...(kinds === undefined ? {} : { kinds }),
    log,
    ...(profileDir === undefined ? {} : { profileDir }),
    ...(values.router === undefined ? {} : { routerMain: resolve(values.router) }),
    nodeArgs: values['node-arg'] === undefined ? imageNodeOptions() : values['node-arg'].filter((a) => a !== ''),
  };

  const machine = `${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}, ${process.platform}`;
  log(`machine: ${machine}`);
  log(`each scenario: ${opts.warmupMs / 1000} s warm-up + ${opts.durationMs / 1000} s measured, ${opts.concurrency} in flight` +
    `${opts.halfPeak ? ', then open loop at half the peak' : ''}; ${rounds} round(s)`);
  const routerCommand = `node ${[...opts.nodeArgs, opts.routerMain ?? 'router/main.ts'].join(' ')}`;
  log(`router: ${routerCommand}`);
  const all: ScenarioResult[][] = [];
  const loads: number[] = [];
  for (let i = 0; i < rounds; i++) {
    await waitForQuietMachine(maxLoad, log);
    loads.push(loadavg()[0]);
    log(`round ${i + 1}/${rounds} (load average ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
    all.push(await runCoreRound(opts));
  }
  const best = bestOf(all);
  const out = [
    `machine: ${machine}`,
    `router: ${routerCommand}`,
    `load average (1 min) at the start of each round: ${loads.map((l) => l.toFixed(2)).join(', ')}; per scenario: ${all.flat().map((r) => r.loadBefore.toFixed(2)).join(' ')}`,
    `best of ${rounds} round(s), ${opts.concurrency} in flight, ${opts.durationMs / 1000} s measured after ${opts.warmupMs / 1000} s warm-up`,
    '',
    resultsTable(best),
    '',
    targetsTable(checkTargets(best)),
  ];
  const byRound = roundByRoundTable(all);
  if (byRound !== undefined) out.push('', 'round by round (issue 16):', '', byRound);
  if (values['no-footprint'] !== true) {
    log('footprint: start-up time and idle RSS, 5 starts each');
    out.push('', footprintTable(await measureFootprint({ runs: 5, ...(opts.routerMain === undefined ? {} : { routerMain: opts.routerMain }), log })));
  }
  process.stdout.write(`${out.join('\n')}\n`);
  if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify({ machine, loads, rounds: all }, null, 2)}\n`);
  if (profileDir !== undefined) {
    for (const r of best) {
      if (r.profile === undefined) continue;
      try {
        process.stdout.write(`\n${formatProfile(`profile of Passage, ${r.kind} (${r.profile})`, summarizeProfile(r.profile))}\n`);
      } catch (err) {
        log(`cannot read profile ${r.profile}: ${(err as Error).message}`);
      }
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: unexpected failure\n${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
