import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
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

import { Roles } from '../auth/auth.decorators';
import { ErrorResponseDto } from '../infra/http/errors';
import { CreateTaskDto, TaskDto, TaskPageDto, TaskQueryDto, TaskUsageDto, UpdateTaskDto } from './dto/task.dto';
import { TasksService } from './tasks.service';

@ApiTags('tasks')
@Controller('tasks')
export class TasksController {
  constructor(private readonly tasks: TasksService) {}

  @Get()
  @Roles('viewer')
  @ApiOperation({ summary: 'List tasks, with search by name and a kind filter' })
  @ApiOkResponse({ type: TaskPageDto })
  list(@Query() query: TaskQueryDto): Promise<TaskPageDto> {
    return this.tasks.list(query);
  }

  @Get(':id')
  @Roles('viewer')
  @ApiOperation({ summary: 'Get a task' })
  @ApiOkResponse({ type: TaskDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  get(@Param('id', ParseUUIDPipe) id: string): Promise<TaskDto> {
    return this.tasks.get(id);
  }

  @Get(':id/pipelines')
  @Roles('viewer')
  @ApiOperation({ summary: 'List the pipelines that use a task, and how' })
  @ApiOkResponse({ type: [TaskUsageDto] })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  pipelines(@Param('id', ParseUUIDPipe) id: string): Promise<TaskUsageDto[]> {
    return this.tasks.pipelinesUsing(id);
  }

  @Post()
  @Roles('operator')
  @ApiOperation({ summary: 'Create a task; its config is validated against its kind' })
  @ApiCreatedResponse({ type: TaskDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'The name is taken' })
  create(@Body() input: CreateTaskDto): Promise<TaskDto> {
    return this.tasks.create(input);
  }

  @Patch(':id')
  @Roles('operator')
  @ApiOperation({ summary: 'Change a task; pipelines using it get a new version. Masked secrets sent back are kept' })
  @ApiOkResponse({ type: TaskDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'The name is taken' })
  update(@Param('id', ParseUUIDPipe) id: string, @Body() input: UpdateTaskDto): Promise<TaskDto> {
    return this.tasks.update(id, input);
  }

  @Delete(':id')
  @HttpCode(204)
  @Roles('operator')
  @ApiOperation({ summary: 'Delete a task that no pipeline uses' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'Pipelines use the task; the message names them' })
  remove(@Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.tasks.remove(id);
  }
}
