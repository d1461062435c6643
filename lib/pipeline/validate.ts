import Ajv from 'ajv';
import type { ErrorObject } from 'ajv';
import type { SchemaIssue } from '../errors';
import type { JsonSchema } from '../providers/provider';

export type Validator = (payload: unknown) => readonly SchemaIssue[] | undefined;

const MAX_ISSUES = 20;

/** Failing paths and ajv's messages; never the offending values. */
function toIssues(errors: readonly ErrorObject[]): SchemaIssue[] {
  const seen = new Set<string>();
  const issues: SchemaIssue[] = [];
  for (const e of errors) {
    if (e.keyword === 'if' || e.keyword === 'anyOf' || e.keyword === 'allOf') continue;
    const issue = { path: e.instancePath || '/', message: e.message ?? e.keyword };
    const key = `${issue.path} ${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
    if (issues.length === MAX_ISSUES) break;
  }
  return issues;
}

const compiled = new WeakMap<JsonSchema, Validator>();

/**
 * Compile once, at mount (and once per schema object, however many endpoints use it).
 * One ajv instance per schema, so a user's schema may reuse a built-in schema's `$id`.
 */
export function compileValidator(schema: JsonSchema): Validator {
  const cached = compiled.get(schema);
  if (cached) return cached;
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
  const validate = ajv.compile(schema);
  const validator: Validator = (payload) => (validate(payload) ? undefined : toIssues(validate.errors ?? []));
  compiled.set(schema, validator);
  return validator;
}
