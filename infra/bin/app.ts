// The CDK app (`cdk.json`: `node infra/bin/app.ts`). The only place that reads the environment:
//   PASSAGE_REGIONS_FILE  regions file (default: passage.regions.toml at the repo root)
//   PASSAGE_IMAGE / -c image=REF   a pushed router image (ECR: by digest); without it the Dockerfile is built as an asset
//   -c github_repository=OWNER/REPO  the repository whose workflows may assume the access roles (OIDC)
//   PASSAGE_AWS_ACCOUNT   pin the account (otherwise stacks deploy to whatever the credentials are)
// Synth needs no credentials and makes no AWS calls. A regions file the routers could not run with
// (no public_keys, a bad key file, …) stops synth with one line naming the key; exit 2.

import { App } from 'aws-cdk-lib';
import { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REGIONS_FILE_NAME, RegionsFileError } from '../../router/contracts/regions-file.ts';
import { definePassageFromFile } from '../stacks/from-regions-file.ts';
import { RouterImageError, routerImage } from '../constructs/router-image.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const app = new App();

const regionsPath = resolve(process.env.PASSAGE_REGIONS_FILE ?? resolve(repoRoot, REGIONS_FILE_NAME));
const imageRef = (app.node.tryGetContext('image') as string | undefined) ?? process.env.PASSAGE_IMAGE;

try {
  // A private ECR image must be pinned by digest, and is referenced as a repository so the pull is granted.
  const image = imageRef ? routerImage(imageRef) : ContainerImage.fromAsset(repoRoot);
  await definePassageFromFile(app, { regionsPath, image, ...(process.env.PASSAGE_AWS_ACCOUNT ? { account: process.env.PASSAGE_AWS_ACCOUNT } : {}) });
} catch (error) {
  if (!(error instanceof RegionsFileError) && !(error instanceof RouterImageError)) throw error;
  process.stderr.write(`passage synth: ${error.message}\n`);
  process.exit(2);
}
