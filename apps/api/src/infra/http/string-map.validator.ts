import { registerDecorator, type ValidationArguments, type ValidationOptions } from 'class-validator';

interface StringMapOptions {
  keyPattern: RegExp;
  /** Words that describe a valid key in the error message. */
  keyHint: string;
  maxEntries?: number;
  maxValueLength?: number;
}

/** Validates an object whose keys match a pattern and whose values are all strings. */
export function IsStringMap(options: StringMapOptions, validation?: ValidationOptions): PropertyDecorator {
  const maxEntries = options.maxEntries ?? 200;
  const maxValueLength = options.maxValueLength ?? 10_000;

  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isStringMap',
      target: target.constructor,
      propertyName: String(propertyName),
      options: validation,
      validator: {
        validate(value: unknown): boolean {
          return problemOf(value, options, maxEntries, maxValueLength) === null;
        },
        defaultMessage(args: ValidationArguments): string {
          return `${args.property} ${problemOf(args.value, options, maxEntries, maxValueLength) ?? 'is invalid'}`;
        },
      },
    });
  };
}

function problemOf(
  value: unknown,
  options: StringMapOptions,
  maxEntries: number,
  maxValueLength: number,
): string | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return 'must be an object of string values';
  }

  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > maxEntries) {
    return `has ${entries.length} entries; at most ${maxEntries} are allowed`;
  }
  for (const [key, item] of entries) {
    if (!options.keyPattern.test(key)) {
      return `has an invalid key "${key}"; use ${options.keyHint}`;
    }
    if (typeof item !== 'string') {
      return `value of "${key}" must be a string`;
    }
    if (item.length > maxValueLength) {
      return `value of "${key}" is longer than ${maxValueLength} characters`;
    }
  }

  return null;
}
