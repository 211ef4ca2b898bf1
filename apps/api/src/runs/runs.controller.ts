import { Controller, Get, Param, ParseIntPipe, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import { Roles } from '../auth/auth.decorators';
import { ErrorResponseDto } from '../infra/http/errors';
import { RunDetailDto, RunPageDto, RunQueryDto, StepLogDto, StepLogQueryDto } from './dto/run.dto';
import { RunsService } from './runs.service';

@ApiTags('runs')
@Controller('runs')
export class RunsController {
  constructor(private readonly runs: RunsService) {}

  @Get()
  @Roles('viewer')
  @ApiOperation({ summary: 'List runs, newest first, filtered by pipeline, node, status, trigger and time' })
  @ApiOkResponse({ type: RunPageDto })
  list(@Query() query: RunQueryDto): Promise<RunPageDto> {
    return this.runs.list(query);
  }

  @Get(':id')
  @Roles('viewer')
  @ApiOperation({ summary: 'Get a run with its steps' })
  @ApiOkResponse({ type: RunDetailDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  get(@Param('id', ParseUUIDPipe) id: string): Promise<RunDetailDto> {
    return this.runs.get(id);
  }

  @Get(':id/steps/:position/logs')
  @Roles('viewer')
  @ApiOperation({ summary: 'Read the stored output of one step, in pages of chunks' })
  @ApiOkResponse({ type: StepLogDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  logs(
    @Param('id', ParseUUIDPipe) id: string,
    @Param('position', ParseIntPipe) position: number,
    @Query() query: StepLogQueryDto,
  ): Promise<StepLogDto> {
    return this.runs.logs(id, position, query);
  }
}
