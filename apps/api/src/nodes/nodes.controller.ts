import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import {
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
import { CreateNodeDto, NodeDto, NodePageDto, NodeQueryDto, UpdateNodeDto } from './dto/node.dto';
import { NodesService } from './nodes.service';

@ApiTags('nodes')
@Controller('nodes')
export class NodesController {
  constructor(private readonly nodes: NodesService) {}

  @Get()
  @Roles('viewer')
  @ApiOperation({ summary: 'List nodes with their status, labels and running runs' })
  @ApiOkResponse({ type: NodePageDto })
  list(@Query() query: NodeQueryDto): Promise<NodePageDto> {
    return this.nodes.list(query);
  }

  @Get(':id')
  @Roles('viewer')
  @ApiOperation({ summary: 'Get a node' })
  @ApiOkResponse({ type: NodeDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  get(@Param('id', ParseUUIDPipe) id: string): Promise<NodeDto> {
    return this.nodes.get(id);
  }

  @Post()
  @Roles('admin')
  @ApiOperation({ summary: 'Pre-register a node, so pipelines can be bound to it before its agent joins' })
  @ApiCreatedResponse({ type: NodeDto })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'The name is taken' })
  create(@Body() input: CreateNodeDto): Promise<NodeDto> {
    return this.nodes.create(input);
  }

  @Patch(':id')
  @Roles('admin')
  @ApiOperation({ summary: 'Rename a node or change its labels' })
  @ApiOkResponse({ type: NodeDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'The name is taken' })
  update(@Param('id', ParseUUIDPipe) id: string, @Body() input: UpdateNodeDto): Promise<NodeDto> {
    return this.nodes.update(id, input);
  }

  @Post(':id/drain')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({ summary: 'Drain a node: its runs go on, but it starts no new ones' })
  @ApiOkResponse({ type: NodeDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  drain(@Param('id', ParseUUIDPipe) id: string): Promise<NodeDto> {
    return this.nodes.setDraining(id, true);
  }

  @Post(':id/undrain')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({ summary: 'Let a drained node start runs again' })
  @ApiOkResponse({ type: NodeDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  undrain(@Param('id', ParseUUIDPipe) id: string): Promise<NodeDto> {
    return this.nodes.setDraining(id, false);
  }

  @Delete(':id')
  @HttpCode(204)
  @Roles('admin')
  @ApiOperation({ summary: 'Delete an offline node; its run history stays' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'The node is online or draining' })
  remove(@Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.nodes.remove(id);
  }
}
