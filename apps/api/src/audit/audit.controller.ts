import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import { Roles } from '../auth/auth.decorators';
import { AuditService } from './audit.service';
import { AuditEventPageDto, AuditQueryDto } from './dto/audit.dto';

@ApiTags('audit')
@Controller('audit-events')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @Roles('admin')
  @ApiOperation({ summary: 'List audit events, newest first, filtered by actor, action, entity and time' })
  @ApiOkResponse({ type: AuditEventPageDto })
  list(@Query() query: AuditQueryDto): Promise<AuditEventPageDto> {
    return this.audit.list(query);
  }
}
