import { Body, Controller, Get, HttpCode, Post, Put } from '@nestjs/common';
import { ApiBadGatewayResponse, ApiConflictResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import { Roles } from '../auth/auth.decorators';
import { ErrorResponseDto } from '../infra/http/errors';
import { SmtpSettingsDto, TestMailDto, TestMailResultDto, UpdateSmtpSettingsDto } from './dto/smtp.dto';
import { SettingsService } from './settings.service';
import { TestMailService } from './test-mail.service';

@ApiTags('settings')
@Controller('settings')
export class SettingsController {
  constructor(
    private readonly settings: SettingsService,
    private readonly testMails: TestMailService,
  ) {}

  @Get('smtp')
  @Roles('admin')
  @ApiOperation({ summary: 'Get the SMTP settings; the password is never returned' })
  @ApiOkResponse({ type: SmtpSettingsDto })
  getSmtp(): Promise<SmtpSettingsDto> {
    return this.settings.getSmtp();
  }

  @Put('smtp')
  @Roles('admin')
  @ApiOperation({ summary: 'Save the SMTP settings; the password is stored encrypted' })
  @ApiOkResponse({ type: SmtpSettingsDto })
  updateSmtp(@Body() input: UpdateSmtpSettingsDto): Promise<SmtpSettingsDto> {
    return this.settings.updateSmtp(input);
  }

  @Post('smtp/test')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({ summary: 'Send a test mail with the saved SMTP settings' })
  @ApiOkResponse({ type: TestMailResultDto })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'SMTP is not configured' })
  @ApiBadGatewayResponse({
    type: ErrorResponseDto,
    description: 'The SMTP server rejected the mail or could not be reached',
  })
  testMail(@Body() input: TestMailDto): Promise<TestMailResultDto> {
    return this.testMails.send(input.to);
  }
}
