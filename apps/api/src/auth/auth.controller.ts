import { Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import {
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';

import type { Actor } from '../infra/context/request-context';
import { ErrorResponseDto } from '../infra/http/errors';
import { CurrentActor, Public, Roles } from './auth.decorators';
import { AuthService } from './auth.service';
import { ChangePasswordDto, LoginDto, MeDto, SessionDto } from './dto/auth.dto';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @HttpCode(200)
  @Public()
  @UseGuards(ThrottlerGuard)
  @ApiOperation({ summary: 'Sign in with e-mail and password and get a JWT' })
  @ApiOkResponse({ type: SessionDto })
  @ApiUnauthorizedResponse({ type: ErrorResponseDto, description: 'Wrong e-mail or password, or a disabled account' })
  @ApiTooManyRequestsResponse({
    type: ErrorResponseDto,
    description: 'Too many attempts from this address; wait and retry',
  })
  login(@Body() input: LoginDto): Promise<SessionDto> {
    return this.auth.login(input);
  }

  @Post('logout')
  @HttpCode(204)
  @Roles('viewer')
  @ApiOperation({ summary: 'Sign out everywhere: every JWT of the user stops working' })
  @ApiNoContentResponse({ description: 'Signed out' })
  logout(@CurrentActor() actor: Actor): Promise<void> {
    return this.auth.logout(actor);
  }

  @Get('me')
  @Roles('viewer')
  @ApiOperation({ summary: 'Get the current user' })
  @ApiOkResponse({ type: MeDto })
  me(@CurrentActor() actor: Actor): Promise<MeDto> {
    return this.auth.me(actor);
  }

  @Post('password')
  @HttpCode(200)
  @Roles('viewer')
  @ApiOperation({ summary: 'Change your password; other sessions end and a new JWT is returned' })
  @ApiOkResponse({ type: SessionDto })
  changePassword(@CurrentActor() actor: Actor, @Body() input: ChangePasswordDto): Promise<SessionDto> {
    return this.auth.changePassword(actor, input);
  }
}
