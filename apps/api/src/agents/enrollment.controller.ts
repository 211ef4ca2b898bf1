import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, UseGuards } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';

import { CurrentActor, Public, Roles } from '../auth/auth.decorators';
import type { Actor } from '../infra/context/request-context';
import { ErrorResponseDto } from '../infra/http/errors';
import {
  CreatedEnrollmentTokenDto,
  CreateEnrollmentTokenDto,
  EnrollDto,
  EnrolledDto,
  EnrollmentTokenDto,
  EnrollmentTokenPageDto,
  EnrollmentTokenQueryDto,
} from './dto/enrollment.dto';
import { EnrollmentService } from './enrollment.service';

@ApiTags('nodes')
@Controller()
export class EnrollmentController {
  constructor(private readonly enrollment: EnrollmentService) {}

  @Get('enrollment-tokens')
  @Roles('admin')
  @ApiOperation({ summary: 'List enrollment tokens' })
  @ApiOkResponse({ type: EnrollmentTokenPageDto })
  list(@Query() query: EnrollmentTokenQueryDto): Promise<EnrollmentTokenPageDto> {
    return this.enrollment.list(query);
  }

  @Post('enrollment-tokens')
  @Roles('admin')
  @ApiOperation({
    summary: 'Create an enrollment token for new agents; the secret and the agent command are returned once',
  })
  @ApiCreatedResponse({ type: CreatedEnrollmentTokenDto })
  create(@Body() input: CreateEnrollmentTokenDto, @CurrentActor() actor: Actor): Promise<CreatedEnrollmentTokenDto> {
    return this.enrollment.create(input, actor);
  }

  @Post('enrollment-tokens/:id/revoke')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({ summary: 'Revoke an enrollment token; enrolled nodes keep working' })
  @ApiOkResponse({ type: EnrollmentTokenDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  revoke(@Param('id', ParseUUIDPipe) id: string): Promise<EnrollmentTokenDto> {
    return this.enrollment.revoke(id);
  }

  @Post('agents/enroll')
  @Public()
  @UseGuards(ThrottlerGuard)
  @ApiOperation({ summary: 'Join as a node with an enrollment token (called by agents)' })
  @ApiCreatedResponse({ type: EnrolledDto })
  @ApiUnauthorizedResponse({
    type: ErrorResponseDto,
    description: 'The token is not valid, revoked, expired or used up',
  })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'A node of that name has enrolled already' })
  enroll(@Body() input: EnrollDto): Promise<EnrolledDto> {
    return this.enrollment.enroll(input);
  }
}
