// The CDK app (`cdk.json`: `node infra/bin/app.ts`). The only place that reads the environment:
//   PASSAGE_REGIONS_FILE  regions file (default: passage.regions.toml at the repo root)
//   PASSAGE_IMAGE / -c image=REF   a pushed router image; without it the Dockerfile is built as an asset
//   PASSAGE_AWS_ACCOUNT   pin the account (otherwise stacks deploy to whatever the credentials are)
// Synth needs no credentials and makes no AWS calls.

import { App } from 'aws-cdk-lib';
import { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRegionsFile, REGIONS_FILE_NAME } from '../../cli/aws/regions.ts';
import { definePassage } from '../stacks/passage.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const app = new App();

const regionsPath = resolve(process.env.PASSAGE_REGIONS_FILE ?? resolve(repoRoot, REGIONS_FILE_NAME));
const regions = await loadRegionsFile(regionsPath);

const publicKeys = await Promise.all(
  regions.publicKeys.map(async (path) => ({
    name: basename(path),
    pem: await readFile(resolve(dirname(regionsPath), path), 'utf8'),
  })),
);

const imageRef = (app.node.tryGetContext('image') as string | undefined) ?? process.env.PASSAGE_IMAGE;
const image = imageRef ? ContainerImage.fromRegistry(imageRef) : ContainerImage.fromAsset(repoRoot);

definePassage(app, { regions, image, publicKeys, account: process.env.PASSAGE_AWS_ACCOUNT });
