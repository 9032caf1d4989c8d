import { ForbiddenException, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext, type Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ApiRole } from '#persistence';
import { HealthController, MetricsController } from '#observability';
import { ALLOWED_ROLES, IS_PUBLIC } from './auth.decorators.js';
import type { Principal } from './principal.js';
import { UsersService } from './users.service.js';

/** Controllers from shared libraries that must answer without a token: probes and the Prometheus scrape. */
const PUBLIC_CONTROLLERS: ReadonlySet<Type<unknown>> = new Set([HealthController, MetricsController]);

interface AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
  principal?: Principal;
}

/**
 * Installed as the global guard: every route needs a valid bearer token unless it is marked @Public (deny by
 * default, so a new endpoint cannot be left open by omission). No or a bad token → 401; a role the route does
 * not allow → 403.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly users: UsersService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (PUBLIC_CONTROLLERS.has(context.getClass()) || this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) {
      return true;
    }
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    const token = bearerToken(request.headers.authorization);
    const challenge = () => http.getResponse<{ setHeader(name: string, value: string): void }>().setHeader('WWW-Authenticate', 'Bearer realm="courier-api"');
    if (!token) {
      challenge();
      throw new UnauthorizedException('a bearer token is required (Authorization: Bearer <token>)');
    }
    const principal = await this.users.authenticate(token);
    if (!principal) {
      challenge();
      throw new UnauthorizedException('the bearer token is unknown, revoked or expired');
    }
    request.principal = principal;
    const allowed = this.reflector.getAllAndOverride<ApiRole[] | undefined>(ALLOWED_ROLES, targets);
    if (allowed && !allowed.includes(principal.role)) {
      throw new ForbiddenException(`role ${principal.role} may not do this (allowed: ${allowed.join(', ')})`);
    }
    return true;
  }
}

function bearerToken(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header[0] : header;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value ?? '');
  return match ? match[1]! : null;
}
