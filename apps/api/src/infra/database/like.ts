import { Raw, type FindOperator } from 'typeorm';

/** Escape character of LIKE patterns; SQLite has no default one, so every pattern names it. */
export const LIKE_ESCAPE = '!';

export function escapeLike(text: string): string {
  return text.replace(/[!%_]/g, (character) => `${LIKE_ESCAPE}${character}`);
}

/** Matches values that contain `text` literally, on MySQL and SQLite alike. `parameter` must be unique in the query. */
export function containing(text: string, parameter: string): FindOperator<string> {
  // TypeORM types every Raw operator as FindOperator<any>.
  return Raw((column) => `${column} LIKE :${parameter} ESCAPE '${LIKE_ESCAPE}'`, {
    [parameter]: `%${escapeLike(text)}%`,
  }) as FindOperator<string>;
}
