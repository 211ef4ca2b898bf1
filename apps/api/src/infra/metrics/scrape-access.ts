import { timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';

import {
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { Request } from 'express';

import { APP_CONFIG, type AppConfig } from '../config/config';

/** Outcome of checking a scrape request: allowed, or the status to send with the reason. */
export type ScrapeDecision = { allowed: true } | { allowed: false; status: 401 | 403; message: string };

/**
 * Decides who may read `/metrics`: a client whose address is in one of the allowed networks, or
 * one that sends the scrape token as `Authorization: Bearer <token>`.
 */
export class ScrapeAccess {
  private readonly networks = new BlockList();

  constructor(
    private readonly token: string | null,
    allow: string[],
  ) {
    for (const network of allow) {
      const [address, prefix] = network.split('/');
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      const hostBits = family === 'ipv6' ? 128 : 32;
      const bits = prefix === undefined ? hostBits : Number(prefix);
      this.networks.addSubnet(address, bits, family);
    }
  }

  check(remoteAddress: string | undefined, authorization: string | undefined): ScrapeDecision {
    if (this.token !== null && authorization !== undefined && this.matchesToken(authorization)) {
      return { allowed: true };
    }

    const address = remoteAddress === undefined ? undefined : unmapIpv4(remoteAddress);
    if (
      address !== undefined &&
      isIP(address) !== 0 &&
      this.networks.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4')
    ) {
      return { allowed: true };
    }

    if (this.token !== null) {
      return {
        allowed: false,
        status: 401,
        message: 'Send the scrape token as "Authorization: Bearer <token>" (ECTS_METRICS_TOKEN)',
      };
    }

    return {
      allowed: false,
      status: 403,
      message: `Address ${remoteAddress ?? 'unknown'} may not read the metrics; add its network to ECTS_METRICS_ALLOW or set ECTS_METRICS_TOKEN`,
    };
  }

  private matchesToken(authorization: string): boolean {
    if (!authorization.startsWith('Bearer ') || this.token === null) {
      return false;
    }

    const sent = Buffer.from(authorization.slice('Bearer '.length).trim());
    const expected = Buffer.from(this.token);

    return sent.length === expected.length && timingSafeEqual(sent, expected);
  }
}

/** Turns an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`), as a dual-stack socket reports it, into IPv4. */
function unmapIpv4(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);

  return mapped === null ? address : mapped[1];
}

/** Guards `/metrics` with ScrapeAccess; the route is public to the role guard. */
@Injectable()
export class ScrapeGuard implements CanActivate {
  private readonly access: ScrapeAccess;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.access = new ScrapeAccess(config.metrics.token, config.metrics.allow);
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    const decision = this.access.check(request.socket.remoteAddress, request.headers.authorization);
    if (decision.allowed) {
      return true;
    }

    throw decision.status === 401
      ? new UnauthorizedException(decision.message)
      : new ForbiddenException(decision.message);
  }
}
