import { ApiProperty, ApiPropertyOptional, PartialType, PickType } from '@nestjs/swagger';
import { ROLES, type Role } from '@ects/domain';
import { Transform } from 'class-transformer';
import { IsBoolean, IsEmail, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

import { PageDto, PageQueryDto } from '../../infra/http/pagination';
import { MIN_PASSWORD_LENGTH } from '../passwords';

const lowerCase = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim().toLowerCase() : value;

export class CreateUserDto {
  @ApiProperty({ description: 'Display name', maxLength: 120 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(120)
  name!: string;

  @ApiProperty({ description: 'E-mail address, used to sign in; stored lower-case', maxLength: 254 })
  @Transform(lowerCase)
  @IsEmail({}, { message: 'email must be an e-mail address such as ops@example.com' })
  @MaxLength(254)
  email!: string;

  @ApiProperty({
    description: `Password, at least ${MIN_PASSWORD_LENGTH} characters`,
    minLength: MIN_PASSWORD_LENGTH,
    maxLength: 200,
  })
  @IsString()
  @MinLength(MIN_PASSWORD_LENGTH)
  @MaxLength(200)
  password!: string;

  @ApiProperty({
    enum: ROLES,
    description: 'viewer reads; operator also manages tasks, pipelines and runs; admin manages everything',
  })
  @IsIn(ROLES)
  role!: Role;
}

export class UpdateUserDto extends PartialType(PickType(CreateUserDto, ['name', 'email', 'role'] as const)) {
  @ApiPropertyOptional({ description: 'A disabled user cannot sign in, and their sessions and tokens stop working' })
  @IsOptional()
  @IsBoolean()
  disabled?: boolean;
}

export class ResetPasswordDto {
  @ApiProperty({
    description: `New password, at least ${MIN_PASSWORD_LENGTH} characters`,
    minLength: MIN_PASSWORD_LENGTH,
  })
  @IsString()
  @MinLength(MIN_PASSWORD_LENGTH)
  @MaxLength(200)
  password!: string;
}

export class UserQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Matches name or e-mail containing this text' })
  @IsOptional()
  @IsString()
  @MaxLength(120)
  search?: string;

  @ApiPropertyOptional({ enum: ROLES, description: 'Only users with this role' })
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;
}

export class UserDto {
  @ApiProperty({ format: 'uuid', description: 'User id' })
  id!: string;

  @ApiProperty({ description: 'Display name' })
  name!: string;

  @ApiProperty({ description: 'E-mail address used to sign in' })
  email!: string;

  @ApiProperty({ enum: ROLES, description: 'Role' })
  role!: Role;

  @ApiProperty({ description: 'Whether the user is disabled' })
  disabled!: boolean;

  @ApiProperty({ format: 'date-time', description: 'Creation time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', description: 'Last change' })
  updatedAt!: string;
}

export class UserPageDto extends PageDto(UserDto, 'UserPage') {}
