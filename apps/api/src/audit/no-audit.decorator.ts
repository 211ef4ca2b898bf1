import { SetMetadata } from '@nestjs/common';

export const NO_AUDIT_KEY = 'ects:no-audit';

/** Marks a POST route that changes nothing, such as a preview, so it leaves no audit event. */
export const NoAudit = (): MethodDecorator => SetMetadata(NO_AUDIT_KEY, true);
