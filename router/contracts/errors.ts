// Errors raised by the shared contracts. A bad regions file is a user mistake: commands and the CDK app
// print its message without a stack, naming the file and the key.

import { PassageError } from '../errors.ts';

export class RegionsFileError extends PassageError {
  readonly code = 'PASSAGE_REGIONS_INVALID';
  /** Dotted path of the offending key, e.g. `regions.eu-west-1.cpu` (empty for the whole file). */
  readonly key: string;
  /** The regions file, once known: messages then read `passage.regions.toml: public_keys: …`. */
  readonly file: string | undefined;
  /** Without the file and key prefix. */
  readonly detail: string;
  constructor(key: string, message: string, file?: string) {
    super([file, key, message].filter(Boolean).join(': '));
    this.name = 'RegionsFileError';
    this.key = key;
    this.file = file;
    this.detail = message;
  }

  /** The same error, naming the file it came from. */
  inFile(file: string): RegionsFileError {
    return new RegionsFileError(this.key, this.detail, file);
  }
}
