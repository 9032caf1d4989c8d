import { applyDecorators } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiForbiddenResponse, ApiNotFoundResponse, ApiQuery, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { z } from 'zod';
import { openApiSchema } from './zod-validation.js';

/** Documents a JSON body from the zod schema that validates it (one source of truth for both). */
export const ApiZodBody = (schema: z.ZodType, description?: string) =>
  applyDecorators(
    ApiBody({ schema: openApiSchema(schema) as never, description }),
    ApiBadRequestResponse({ description: 'a field is missing or invalid: `message` and `errors[].field` name it' }),
  );

/** Documents each query parameter of a strict zod object schema. */
export function ApiZodQuery(schema: z.ZodObject): MethodDecorator {
  const json = openApiSchema(schema) as { properties?: Record<string, Record<string, unknown>> };
  return applyDecorators(
    ...Object.entries(json.properties ?? {}).map(([name, property]) =>
      ApiQuery({ name, required: false, schema: property as never, description: property.description as string | undefined }),
    ),
    ApiBadRequestResponse({ description: 'an unknown parameter or an invalid value: `errors[].field` names it' }),
  );
}

/** The answers every authenticated case route can give besides success. */
export const ApiCaseScoped = () =>
  applyDecorators(
    ApiUnauthorizedResponse({ description: 'no token, or an unknown, revoked or expired one' }),
    ApiForbiddenResponse({ description: 'the caller’s role may not do this' }),
    ApiNotFoundResponse({ description: 'no such case in the caller’s scope (another site’s case is not revealed)' }),
  );
