import { applyDecorators, createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Role } from '@ects/domain';

import type { Actor } from '../infra/context/request-context';
import { ErrorResponseDto } from '../infra/http/errors';

export const PUBLIC_KEY = 'ects:public';
export const ROLE_KEY = 'ects:role';

/** Opens a route to anyone; every other route needs a role. */
export const Public = (): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(PUBLIC_KEY, true), ApiExtension('x-roles', ['public']));

/**
 * Requires at least `role` (viewer < operator < admin), and documents it in OpenAPI: the bearer
 * security scheme, the 401 and 403 responses, and an `x-roles` list of the roles allowed.
 */
export function Roles(role: Role): MethodDecorator & ClassDecorator {
  const allowed =
    role === 'viewer' ? ['viewer', 'operator', 'admin'] : role === 'operator' ? ['operator', 'admin'] : ['admin'];

  return applyDecorators(
    SetMetadata(ROLE_KEY, role),
    ApiBearerAuth(),
    ApiExtension('x-roles', allowed),
    ApiUnauthorizedResponse({ description: 'Missing, invalid or expired credentials', type: ErrorResponseDto }),
    ApiForbiddenResponse({ description: `Requires role ${allowed.join(' or ')}`, type: ErrorResponseDto }),
  );
}

/** The authenticated actor of the request. */
export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => {
  const request = context.switchToHttp().getRequest<{ user?: Actor }>();
  if (!request.user) {
    throw new Error('CurrentActor used on a route without authentication');
  }

  return request.user;
});
