import { Type as ClassType } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';

export const MAX_PAGE_SIZE = 200;

export class PageQueryDto {
  @ApiPropertyOptional({ description: 'Page number, from 1', default: 1, minimum: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  page: number = 1;

  @ApiPropertyOptional({
    description: `Items per page, at most ${MAX_PAGE_SIZE}`,
    default: 50,
    minimum: 1,
    maximum: MAX_PAGE_SIZE,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  pageSize: number = 50;

  @ApiPropertyOptional({ description: 'Sort direction; each list documents its default', enum: ['asc', 'desc'] })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  order?: 'asc' | 'desc';
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

/** Makes the OpenAPI-described page class for one item type. */
export function PageDto<T>(item: ClassType<T>, name: string): ClassType<Page<T>> {
  class PageOfItems implements Page<T> {
    @ApiProperty({ type: [item], description: 'Items of this page' })
    items!: T[];

    @ApiProperty({ description: 'Items matching the query, over all pages' })
    total!: number;

    @ApiProperty({ description: 'Page number, from 1' })
    page!: number;

    @ApiProperty({ description: 'Items per page' })
    pageSize!: number;
  }
  Object.defineProperty(PageOfItems, 'name', { value: name });

  return PageOfItems;
}

export function pageOf<T>(items: T[], total: number, query: PageQueryDto): Page<T> {
  return { items, total, page: query.page, pageSize: query.pageSize };
}

export function skipOf(query: PageQueryDto): number {
  return (query.page - 1) * query.pageSize;
}
