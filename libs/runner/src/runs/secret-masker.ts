import { MASK } from '@ects/domain';

/** Text that may be emitted now, and the raw tail kept back because it may be the start of a secret. */
export interface MaskedText {
  masked: string;
  rest: string;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Replaces secret values in step output with `********`. Output arrives in chunks that may split a
 * secret, so the masker can keep back a tail that is the start of a secret until more text arrives.
 */
export class SecretMasker {
  private readonly secrets: string[];
  private readonly pattern: RegExp | undefined;
  private readonly longest: number;

  constructor(secrets: Iterable<string>) {
    // Sorted by length, longest first, so a secret that contains another is masked whole.
    this.secrets = [...new Set(secrets)].filter((secret) => secret.length > 0).sort((a, b) => b.length - a.length);
    this.pattern = this.secrets.length > 0 ? new RegExp(this.secrets.map(escapeRegExp).join('|'), 'g') : undefined;
    this.longest = this.secrets[0]?.length ?? 0;
  }

  get active(): boolean {
    return this.pattern !== undefined;
  }

  /** Masks `text`; with `holdBack`, a tail that could begin a secret is returned unmasked in `rest`. */
  mask(text: string, holdBack: boolean): MaskedText {
    if (this.pattern === undefined) {
      return { masked: text, rest: '' };
    }

    const matches = [...text.matchAll(this.pattern)];
    let cut = holdBack ? this.holdBackStart(text, 0) : text.length;

    // A whole secret that straddles the cut is emitted masked, never split.
    for (const match of matches) {
      const end = match.index + match[0].length;
      if (match.index < cut && end > cut) {
        cut = holdBack ? this.holdBackStart(text, end) : text.length;
      }
    }

    let masked = '';
    let position = 0;
    for (const match of matches) {
      const end = match.index + match[0].length;
      if (end > cut) {
        break;
      }

      masked += text.slice(position, match.index) + MASK;
      position = end;
    }
    masked += text.slice(position, cut);

    return { masked, rest: text.slice(cut) };
  }

  /** First index at or after `from` whose tail is a proper prefix of a secret, or text.length. */
  private holdBackStart(text: string, from: number): number {
    for (let start = Math.max(from, text.length - this.longest + 1); start < text.length; start += 1) {
      const tail = text.slice(start);
      if (this.secrets.some((secret) => secret.length > tail.length && secret.startsWith(tail))) {
        return start;
      }
    }

    return text.length;
  }
}
