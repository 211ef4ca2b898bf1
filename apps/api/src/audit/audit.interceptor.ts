import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { from, mergeMap, type Observable } from 'rxjs';

import { currentContext } from '../infra/context/request-context';
import { AuditService } from './audit.service';
import { NO_AUDIT_KEY } from './no-audit.decorator';

const MUTATING_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Guarantees that every successful mutating request leaves an audit event. Services write detailed
 * events with before and after; this writes a plain one for any route whose service did not.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    private readonly audit: AuditService,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request>();
    const readOnly = this.reflector.get<boolean | undefined>(NO_AUDIT_KEY, context.getHandler()) === true;
    if (context.getType() !== 'http' || !MUTATING_METHODS.has(request.method) || readOnly) {
      return next.handle();
    }

    return next.handle().pipe(
      mergeMap((result: unknown) =>
        from(
          (async () => {
            const store = currentContext();
            if (store && !store.audited) {
              const route = (request.route as { path?: string } | undefined)?.path ?? request.path;
              await this.audit.record({
                action: `${request.method.toLowerCase()} ${route}`,
                entityType: 'request',
                entityId: null,
              });
            }

            return result;
          })(),
        ),
      ),
    );
  }
}
