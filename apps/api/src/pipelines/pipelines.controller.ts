import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Put, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';

import { NoAudit } from '../audit/no-audit.decorator';
import { Roles } from '../auth/auth.decorators';
import { ErrorResponseDto } from '../infra/http/errors';
import {
  CreatePipelineDto,
  PipelineDto,
  PipelinePageDto,
  PipelineQueryDto,
  ReorderStepsDto,
  ScheduleDto,
  SchedulePreviewDto,
  ScheduleQueryDto,
  UpdatePipelineDto,
} from './dto/pipeline.dto';
import { PipelinesService } from './pipelines.service';

@ApiTags('pipelines')
@Controller('pipelines')
export class PipelinesController {
  constructor(private readonly pipelines: PipelinesService) {}

  @Get()
  @Roles('viewer')
  @ApiOperation({ summary: 'List pipelines with their next fire time' })
  @ApiOkResponse({ type: PipelinePageDto })
  list(@Query() query: PipelineQueryDto): Promise<PipelinePageDto> {
    return this.pipelines.list(query);
  }

  @Post('schedule-preview')
  @HttpCode(200)
  @NoAudit()
  @Roles('viewer')
  @ApiOperation({
    summary: 'Explain a cron expression and list its next fire times in a zone, without saving anything',
  })
  @ApiOkResponse({ type: ScheduleDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  preview(@Body() input: SchedulePreviewDto): ScheduleDto {
    return this.pipelines.preview(input.cron, input.timezone ?? 'UTC', input.count);
  }

  @Get(':id')
  @Roles('viewer')
  @ApiOperation({ summary: 'Get a pipeline with its steps and bindings' })
  @ApiOkResponse({ type: PipelineDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  get(@Param('id', ParseUUIDPipe) id: string): Promise<PipelineDto> {
    return this.pipelines.get(id);
  }

  @Get(':id/schedule')
  @Roles('viewer')
  @ApiOperation({ summary: 'List the next fire times of a pipeline in its time zone, marking DST changes' })
  @ApiOkResponse({ type: ScheduleDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  schedule(@Param('id', ParseUUIDPipe) id: string, @Query() query: ScheduleQueryDto): Promise<ScheduleDto> {
    return this.pipelines.schedule(id, query.count);
  }

  @Post()
  @Roles('operator')
  @ApiOperation({ summary: 'Create a pipeline with its steps and bindings' })
  @ApiCreatedResponse({ type: PipelineDto })
  @ApiBadRequestResponse({
    type: ErrorResponseDto,
    description: 'Invalid fields, cron expression, time zone, or unknown tasks or nodes',
  })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'The name is taken' })
  create(@Body() input: CreatePipelineDto): Promise<PipelineDto> {
    return this.pipelines.create(input);
  }

  @Patch(':id')
  @Roles('operator')
  @ApiOperation({ summary: 'Change a pipeline; steps and nodeIds, when given, replace the current ones' })
  @ApiOkResponse({ type: PipelineDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'The name is taken' })
  update(@Param('id', ParseUUIDPipe) id: string, @Body() input: UpdatePipelineDto): Promise<PipelineDto> {
    return this.pipelines.update(id, input);
  }

  @Post(':id/enable')
  @HttpCode(200)
  @Roles('operator')
  @ApiOperation({ summary: 'Enable a pipeline so it fires on schedule' })
  @ApiOkResponse({ type: PipelineDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  enable(@Param('id', ParseUUIDPipe) id: string): Promise<PipelineDto> {
    return this.pipelines.setEnabled(id, true);
  }

  @Post(':id/disable')
  @HttpCode(200)
  @Roles('operator')
  @ApiOperation({ summary: 'Disable a pipeline; it stops firing, runs in progress go on' })
  @ApiOkResponse({ type: PipelineDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  disable(@Param('id', ParseUUIDPipe) id: string): Promise<PipelineDto> {
    return this.pipelines.setEnabled(id, false);
  }

  @Put(':id/steps/order')
  @Roles('operator')
  @ApiOperation({ summary: 'Reorder the steps of a pipeline' })
  @ApiOkResponse({ type: PipelineDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  reorder(@Param('id', ParseUUIDPipe) id: string, @Body() input: ReorderStepsDto): Promise<PipelineDto> {
    return this.pipelines.reorderSteps(id, input);
  }

  @Put(':id/nodes/:nodeId')
  @Roles('operator')
  @ApiOperation({ summary: 'Bind a pipeline to a node' })
  @ApiOkResponse({ type: PipelineDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  bind(@Param('id', ParseUUIDPipe) id: string, @Param('nodeId', ParseUUIDPipe) nodeId: string): Promise<PipelineDto> {
    return this.pipelines.bindNode(id, nodeId);
  }

  @Delete(':id/nodes/:nodeId')
  @Roles('operator')
  @ApiOperation({ summary: 'Unbind a pipeline from a node' })
  @ApiOkResponse({ type: PipelineDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  unbind(@Param('id', ParseUUIDPipe) id: string, @Param('nodeId', ParseUUIDPipe) nodeId: string): Promise<PipelineDto> {
    return this.pipelines.unbindNode(id, nodeId);
  }

  @Delete(':id')
  @HttpCode(204)
  @Roles('operator')
  @ApiOperation({ summary: 'Delete a pipeline; its run history stays' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  remove(@Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.pipelines.remove(id);
  }
}
