// Where `dns` and `waf` get the deployed stacks' outputs: the JSON `cdk deploy --outputs-file` wrote
// (`--outputs FILE`, no AWS call), else CloudFormation DescribeStacks in each stack's own region.
// A stack in neither is simply absent; stack-outputs.ts names the missing output.

import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { readFile } from 'node:fs/promises';
import { CliError } from '../context.ts';
import type { StackOutputs } from './stack-outputs.ts';

export interface StackLocation {
  readonly stackName: string;
  readonly region: string;
}

export async function readOutputsFile(path: string): Promise<StackOutputs> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CliError('PASSAGE_OUTPUTS_UNREADABLE', `${path}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as StackOutputs;
  } catch (err) {
    throw new CliError('PASSAGE_OUTPUTS_UNREADABLE', `${path}: not JSON (${(err as Error).message}); expected the file \`cdk deploy --outputs-file\` writes`);
  }
}

export async function describeStackOutputs(cloudFormation: (region: string) => CloudFormationClient, stacks: readonly StackLocation[]): Promise<StackOutputs> {
  const found = await Promise.all(
    stacks.map(async ({ stackName, region }): Promise<[string, Record<string, string>] | undefined> => {
      try {
        const out = await cloudFormation(region).send(new DescribeStacksCommand({ StackName: stackName }));
        const outputs: Record<string, string> = {};
        for (const o of out.Stacks?.[0]?.Outputs ?? []) if (o.OutputKey && o.OutputValue !== undefined) outputs[o.OutputKey] = o.OutputValue;
        return [stackName, outputs];
      } catch (err) {
        if ((err as Error).name === 'ValidationError' && /does not exist/.test((err as Error).message)) return undefined;
        throw err;
      }
    }),
  );
  return Object.fromEntries(found.filter((entry) => entry !== undefined));
}

/** `--outputs FILE` when given (stacks it lacks are then looked up), else DescribeStacks for all. */
export async function loadStackOutputs(
  opts: { readonly outputsFile?: string },
  stacks: readonly StackLocation[],
  cloudFormation: (region: string) => CloudFormationClient,
): Promise<StackOutputs> {
  const fromFile = opts.outputsFile === undefined ? {} : await readOutputsFile(opts.outputsFile);
  const missing = stacks.filter((s) => fromFile[s.stackName] === undefined);
  if (missing.length === 0) return fromFile;
  return { ...(await describeStackOutputs(cloudFormation, missing)), ...fromFile };
}
