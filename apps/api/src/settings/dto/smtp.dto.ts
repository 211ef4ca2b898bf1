import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsEmail, IsInt, IsNotEmpty, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export class UpdateSmtpSettingsDto {
  @ApiProperty({ description: 'Whether mail tasks and test mails are sent' })
  @IsBoolean()
  enabled!: boolean;

  @ApiProperty({ description: 'SMTP server host name', example: 'smtp.example.com' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  host!: string;

  @ApiProperty({
    description: 'SMTP port, usually 587 (STARTTLS) or 465 (TLS)',
    minimum: 1,
    maximum: 65535,
    example: 587,
  })
  @IsInt()
  @Min(1)
  @Max(65535)
  port!: number;

  @ApiProperty({ description: 'Connect with TLS from the start (port 465); otherwise STARTTLS is used when offered' })
  @IsBoolean()
  secure!: boolean;

  @ApiPropertyOptional({ description: 'User name for SMTP authentication; omit or empty for none', maxLength: 255 })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  username?: string;

  @ApiPropertyOptional({
    description: 'Password; never returned. Omit to keep the stored one, send an empty string to remove it',
    maxLength: 1024,
  })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  password?: string;

  @ApiProperty({ description: 'Sender address', example: 'ects@example.com' })
  @IsEmail({}, { message: 'from must be an e-mail address such as ects@example.com' })
  from!: string;
}

export class SmtpSettingsDto {
  @ApiProperty({ description: 'Whether mail is sent' })
  enabled!: boolean;

  @ApiProperty({ description: 'SMTP server host name' })
  host!: string;

  @ApiProperty({ description: 'SMTP port' })
  port!: number;

  @ApiProperty({ description: 'TLS from the start' })
  secure!: boolean;

  @ApiProperty({ description: 'User name, empty for none' })
  username!: string;

  @ApiProperty({ description: 'Whether a password is stored; the password itself is never returned' })
  passwordSet!: boolean;

  @ApiProperty({ description: 'Sender address' })
  from!: string;
}

export class TestMailDto {
  @ApiProperty({ description: 'Recipient of the test mail', example: 'ops@example.com' })
  @IsEmail({}, { message: 'to must be an e-mail address such as ops@example.com' })
  to!: string;
}

export class TestMailResultDto {
  @ApiProperty({ description: 'Message id the SMTP server accepted' })
  messageId!: string;

  @ApiProperty({ type: [String], description: 'Recipients the server accepted' })
  accepted!: string[];
}
