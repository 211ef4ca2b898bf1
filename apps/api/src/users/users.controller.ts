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

import { CurrentActor, Roles } from '../auth/auth.decorators';
import type { Actor } from '../infra/context/request-context';
import { ErrorResponseDto } from '../infra/http/errors';
import { CreateUserDto, ResetPasswordDto, UpdateUserDto, UserDto, UserPageDto, UserQueryDto } from './dto/user.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @Roles('admin')
  @ApiOperation({ summary: 'List users' })
  @ApiOkResponse({ type: UserPageDto })
  list(@Query() query: UserQueryDto): Promise<UserPageDto> {
    return this.users.list(query);
  }

  @Get(':id')
  @Roles('admin')
  @ApiOperation({ summary: 'Get a user' })
  @ApiOkResponse({ type: UserDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  get(@Param('id', ParseUUIDPipe) id: string): Promise<UserDto> {
    return this.users.get(id);
  }

  @Post()
  @Roles('admin')
  @ApiOperation({ summary: 'Create a user' })
  @ApiCreatedResponse({ type: UserDto })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'The e-mail is taken' })
  create(@Body() input: CreateUserDto): Promise<UserDto> {
    return this.users.create(input);
  }

  @Patch(':id')
  @Roles('admin')
  @ApiOperation({ summary: "Change a user's name, e-mail, role or disabled flag" })
  @ApiOkResponse({ type: UserDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({
    type: ErrorResponseDto,
    description: 'The e-mail is taken, or the change would leave no admin',
  })
  update(
    @Param('id', ParseUUIDPipe) id: string,
    @Body() input: UpdateUserDto,
    @CurrentActor() actor: Actor,
  ): Promise<UserDto> {
    return this.users.update(id, input, actor);
  }

  @Post(':id/password')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({ summary: 'Set a new password for a user and end their sessions' })
  @ApiOkResponse({ type: UserDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  resetPassword(@Param('id', ParseUUIDPipe) id: string, @Body() input: ResetPasswordDto): Promise<UserDto> {
    return this.users.resetPassword(id, input);
  }

  @Delete(':id')
  @HttpCode(204)
  @Roles('admin')
  @ApiOperation({ summary: 'Delete a user and their API tokens' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'The user is the last admin' })
  remove(@Param('id', ParseUUIDPipe) id: string, @CurrentActor() actor: Actor): Promise<void> {
    return this.users.remove(id, actor);
  }
}
