// Every error that cli/aws raises, each with a stable `code` that commands map to exit codes and that
// tests pin. User mistakes (a bad regions file) and AWS-side states (a conflicting record) are both
// "expected" errors: commands print the message without a stack.

import { PassageError } from '../../router/errors.ts';

/** Raised by the regions-file parser (router/contracts/regions-file.ts), which infra shares. */
export { RegionsFileError } from '../../router/contracts/errors.ts';

/** Records at the managed name that Passage does not own and that Route53 would refuse to mix with. */
export class DnsConflictError extends PassageError {
  readonly code = 'PASSAGE_DNS_CONFLICT';
  readonly records: readonly string[];
  constructor(recordName: string, records: readonly string[]) {
    super(`${recordName} already has records that passagectl does not manage: ${records.join(', ')}; remove them first`);
    this.name = 'DnsConflictError';
    this.records = records;
  }
}

export class DnsWaitTimeoutError extends PassageError {
  readonly code = 'PASSAGE_DNS_WAIT_TIMEOUT';
  readonly changeId: string;
  readonly timeoutMs: number;
  constructor(changeId: string, timeoutMs: number, lastStatus: string) {
    super(`Route53 change ${changeId} still ${lastStatus} after ${timeoutMs} ms`);
    this.name = 'DnsWaitTimeoutError';
    this.changeId = changeId;
    this.timeoutMs = timeoutMs;
  }
}

export class HostedZoneNotFoundError extends PassageError {
  readonly code = 'PASSAGE_HOSTED_ZONE_NOT_FOUND';
  constructor(zoneName: string) {
    super(`no public Route53 hosted zone named ${zoneName}`);
    this.name = 'HostedZoneNotFoundError';
  }
}

export class WebAclNotFoundError extends PassageError {
  readonly code = 'PASSAGE_WEB_ACL_NOT_FOUND';
  constructor(name: string, scope: string) {
    super(`no ${scope} web ACL named ${name}`);
    this.name = 'WebAclNotFoundError';
  }
}

/** A stack output the CLI needs is absent: the stack was not deployed (or not with this table id). */
export class StackOutputMissingError extends PassageError {
  readonly code = 'PASSAGE_STACK_OUTPUT_MISSING';
  readonly stackName: string;
  readonly outputKey: string;
  constructor(stackName: string, outputKey: string) {
    super(`stack ${stackName} has no output ${outputKey}; deploy it first (npx passagectl deploy)`);
    this.name = 'StackOutputMissingError';
    this.stackName = stackName;
    this.outputKey = outputKey;
  }
}
