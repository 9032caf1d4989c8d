import { BadRequestException, type PipeTransform } from '@nestjs/common';
import { z } from 'zod';
import { formatPath } from '#contracts';

/** One problem with a request, naming the field (dotted path inside the body or the query parameter). */
export interface FieldProblem {
  field: string;
  message: string;
}

/** A 400 whose message names every offending field, and whose `errors` list them for programs. */
export class RequestValidationError extends BadRequestException {
  constructor(readonly problems: FieldProblem[]) {
    super({
      statusCode: 400,
      error: 'Bad Request',
      message: problems.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join('; '),
      errors: problems,
    });
  }
}

export function describeZodIssues(issues: readonly z.core.$ZodIssue[], rename: Record<string, string> = {}): FieldProblem[] {
  return issues.map((issue) => {
    const path = formatPath(issue.path);
    const field = rename[path] ?? path;
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((key) => (field ? `${field}.${key}` : key));
      return { field: keys.join(', '), message: 'unexpected field (not part of this request)' };
    }
    if (issue.code === 'invalid_type' && issue.input === undefined) {
      return { field, message: 'required' };
    }
    if (issue.code === 'invalid_type' && issue.message.startsWith('Invalid input')) {
      return { field, message: `expected ${issue.expected}` };
    }
    if (issue.code === 'invalid_value' && issue.message.startsWith('Invalid option')) {
      return { field, message: `must be one of ${issue.values.map(String).join(', ')}` };
    }
    return { field, message: issue.message };
  });
}

/** Parses with the schema or throws a RequestValidationError naming the fields. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, rename?: Record<string, string>): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new RequestValidationError(describeZodIssues(result.error.issues, rename));
  return result.data;
}

/** `@Body(new ZodPipe(schema))` / `@Query(new ZodPipe(schema))`. A missing body is validated as `{}`. */
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(readonly schema: S) {}

  transform(value: unknown): z.output<S> {
    return parseOrThrow(this.schema, value ?? {});
  }
}

/** The schema as OpenAPI 3.0 (what a client sends: the input side of transforms). */
export function openApiSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'openapi-3.0' }) as Record<string, unknown>;
}
