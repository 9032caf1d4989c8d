import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { ApiRole } from '#persistence';
import type { Principal } from './principal.js';

export const IS_PUBLIC = Symbol('IS_PUBLIC');
export const ALLOWED_ROLES = Symbol('ALLOWED_ROLES');

/** The route needs no token (the dashboard's HTML shell). Everything else does. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** Only these roles may call the route (403 for the others); without it any authenticated user may. */
export const Roles = (...roles: ApiRole[]) => SetMetadata(ALLOWED_ROLES, roles);

/** The request's authenticated principal (set by BearerAuthGuard). */
export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const request = context.switchToHttp().getRequest<{ principal?: Principal }>();
  if (!request.principal) throw new Error('CurrentUser used on a route without authentication');
  return request.principal;
});
