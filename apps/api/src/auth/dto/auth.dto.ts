import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsNotEmpty, IsString, MaxLength, MinLength } from 'class-validator';

import { UserDto } from '../../users/dto/user.dto';
import { MIN_PASSWORD_LENGTH } from '../../users/passwords';

export class LoginDto {
  @ApiProperty({ description: 'E-mail address of the user', example: 'admin@ects.local' })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsString()
  @IsNotEmpty()
  @MaxLength(254)
  email!: string;

  @ApiProperty({ description: 'Password' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  password!: string;
}

export class ChangePasswordDto {
  @ApiProperty({ description: 'Current password' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  currentPassword!: string;

  @ApiProperty({
    description: `New password, at least ${MIN_PASSWORD_LENGTH} characters`,
    minLength: MIN_PASSWORD_LENGTH,
  })
  @IsString()
  @MinLength(MIN_PASSWORD_LENGTH)
  @MaxLength(200)
  newPassword!: string;
}

export class SessionDto {
  @ApiProperty({ description: 'JWT to send as "Authorization: Bearer <token>"' })
  accessToken!: string;

  @ApiProperty({ format: 'date-time', description: 'When the JWT expires' })
  expiresAt!: string;

  @ApiProperty({ type: UserDto, description: 'The signed-in user' })
  user!: UserDto;
}

export class MeDto extends UserDto {
  @ApiProperty({ enum: ['user', 'token'], description: 'How the request authenticated' })
  via!: 'user' | 'token';

  @ApiProperty({ description: "Role in effect for this request; a token may act below its owner's role" })
  effectiveRole!: string;
}
