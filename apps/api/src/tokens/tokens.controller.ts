import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import { CurrentActor, Roles } from '../auth/auth.decorators';
import type { Actor } from '../infra/context/request-context';
import { ErrorResponseDto } from '../infra/http/errors';
import { CreatedTokenDto, CreateTokenDto, TokenDto, TokenPageDto, TokenQueryDto } from './dto/token.dto';
import { TokensService } from './tokens.service';

@ApiTags('tokens')
@Controller('tokens')
export class TokensController {
  constructor(private readonly tokens: TokensService) {}

  @Get()
  @Roles('admin')
  @ApiOperation({ summary: 'List API tokens with their prefix and last use' })
  @ApiOkResponse({ type: TokenPageDto })
  list(@Query() query: TokenQueryDto): Promise<TokenPageDto> {
    return this.tokens.list(query);
  }

  @Post()
  @Roles('admin')
  @ApiOperation({ summary: 'Create an API token; the secret is returned only this once' })
  @ApiCreatedResponse({ type: CreatedTokenDto })
  create(@Body() input: CreateTokenDto, @CurrentActor() actor: Actor): Promise<CreatedTokenDto> {
    return this.tokens.create(input, actor);
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({ summary: 'Revoke an API token; requests with it fail from now on' })
  @ApiOkResponse({ type: TokenDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  revoke(@Param('id', ParseUUIDPipe) id: string): Promise<TokenDto> {
    return this.tokens.revoke(id);
  }
}
