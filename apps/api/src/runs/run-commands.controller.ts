import { Body, Controller, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';

import { CurrentActor, Roles } from '../auth/auth.decorators';
import type { Actor } from '../infra/context/request-context';
import { ErrorResponseDto } from '../infra/http/errors';
import { KillResultDto, RunNowDto, RunNowResultDto } from './dto/run-command.dto';
import { RunCommandsService } from './run-commands.service';

@ApiTags('runs')
@Controller()
export class RunCommandsController {
  constructor(private readonly commands: RunCommandsService) {}

  @Post('pipelines/:id/runs')
  @Roles('operator')
  @ApiOperation({ summary: 'Run a pipeline now, on one bound node or as its mode says; returns the run ids' })
  @ApiCreatedResponse({ type: RunNowResultDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'The node is not bound to the pipeline' })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'No bound node is online, or the pipeline has no steps' })
  @ApiServiceUnavailableResponse({ type: ErrorResponseDto, description: 'etcd is not reachable' })
  runNow(
    @Param('id', ParseUUIDPipe) id: string,
    @Body() input: RunNowDto,
    @CurrentActor() actor: Actor,
  ): Promise<RunNowResultDto> {
    return this.commands.runNow(id, input, actor);
  }

  @Post('runs/:id/kill')
  @HttpCode(202)
  @Roles('operator')
  @ApiOperation({ summary: 'Kill a running run; its agent stops it within a second and records it as killed' })
  @ApiAcceptedResponse({ type: KillResultDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'The run is not running' })
  @ApiServiceUnavailableResponse({ type: ErrorResponseDto, description: 'etcd is not reachable' })
  kill(@Param('id', ParseUUIDPipe) id: string, @CurrentActor() actor: Actor): Promise<KillResultDto> {
    return this.commands.kill(id, actor);
  }
}
