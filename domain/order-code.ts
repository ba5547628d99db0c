/**
 * What an order code may be, and how any code is shown.
 *
 * Channels send codes such as `1001`, `#1001` (Shopify, WooCommerce's default prefix), `SO-1001`,
 * `100000123` (Magento), `112-9988776-1234567` (Amazon) or a Takealot order number: printable text.
 * A code is refused when it holds a character that can disguise it or change what it names:
 * controls (C0, DEL, C1), bidi controls (U+202A–202E, U+2066–2069, U+200E/F, U+061C), invisible
 * formatting characters, line and paragraph separators, broken surrogates and noncharacters; `/`
 * and `\`; or when it is `.` or `..` (a path segment in Stock2Shop's `/orders/<code>`).
 *
 * Every code, refused or not, is SHOWN through `escapeOrderCode`: those characters become `\uXXXX`,
 * so no workflow id, search attribute, reason or log line holds one. A code the policy accepts is
 * shown as it is, so the ids of valid orders never change. Pure code with no imports: workflows
 * use it without bundling zod (the schemas that apply the policy are in stock2shop.ts). Open runs
 * replay with it: how a valid code is shown must never change.
 */

/** A character that must never appear in a code, nor be shown raw anywhere. */
const UNSAFE_CHARACTER = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\p{Noncharacter_Code_Point}]/u;
const UNSAFE_CHARACTERS = new RegExp(UNSAFE_CHARACTER.source, 'gu');
const PATH_SEPARATOR = /[/\\]/;
const ESCAPE = /\\u\{([0-9A-Fa-f]{1,6})\}|\\u([0-9A-Fa-f]{4})/g;

const NAMES: Record<number, string> = {
  0x061c: 'arabic letter mark',
  0x200e: 'left-to-right mark',
  0x200f: 'right-to-left mark',
  0x202a: 'left-to-right embedding',
  0x202b: 'right-to-left embedding',
  0x202c: 'pop directional formatting',
  0x202d: 'left-to-right override',
  0x202e: 'right-to-left override',
  0x2066: 'left-to-right isolate',
  0x2067: 'right-to-left isolate',
  0x2068: 'first strong isolate',
  0x2069: 'pop directional isolate',
  0x00ad: 'soft hyphen',
  0x200b: 'zero width space',
  0x200c: 'zero width non-joiner',
  0x200d: 'zero width joiner',
  0x2060: 'word joiner',
  0xfeff: 'zero width no-break space',
};

/** `U+202E`, `U+E0041`. */
function codePointName(codePoint: number): string {
  return `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
}

function escaped(codePoint: number): string {
  const hex = codePoint.toString(16).toUpperCase();
  return codePoint > 0xffff ? `\\u{${hex}}` : `\\u${hex.padStart(4, '0')}`;
}

/** What kind of character an unsafe one is, for a reason text. */
function kindOf(character: string): string {
  const codePoint = character.codePointAt(0)!;
  const name = NAMES[codePoint];
  if (/\p{Bidi_Control}/u.test(character)) return `${name}, a bidi control`;
  if (/\p{Cc}/u.test(character)) return 'a control character';
  if (/\p{Cs}/u.test(character)) return 'half of a surrogate pair, not a character';
  if (/\p{Zl}|\p{Zp}/u.test(character)) return 'a line or paragraph separator';
  if (/\p{Noncharacter_Code_Point}/u.test(character)) return 'a noncharacter';
  return name === undefined ? 'an invisible formatting character' : `${name}, an invisible formatting character`;
}

/**
 * Any text with its unsafe characters (controls, bidi, invisible formatting, separators) written
 * `\uXXXX` per UTF-16 unit, as JSON and JavaScript write them (a log line stays JSON), everything
 * else as it is: for free text that is shown (a reason, a log line). Text it returns passes through unchanged.
 */
export function escapeUnsafeCharacters(text: string): string {
  return text.replace(UNSAFE_CHARACTERS, (character) => {
    let units = '';
    for (let i = 0; i < character.length; i++) units += escaped(character.charCodeAt(i));
    return units;
  });
}

/** Whether a text holds a character `escapeUnsafeCharacters` would escape. */
export function hasUnsafeCharacters(text: string): boolean {
  return UNSAFE_CHARACTER.test(text);
}

const isDotSegment = (code: string) => code === '.' || code === '..';

/**
 * An order code as it is shown in workflow ids, search attributes, reasons and the CLI: the policy's
 * refused characters and `\` written `\uXXXX` (`\u{XXXXX}` above U+FFFF), and a code `.` or `..`
 * written `\u002E…`. One-to-one (`unescapeOrderCode` reverses it), and a code the policy accepts
 * comes back unchanged.
 */
export function escapeOrderCode(code: string): string {
  if (isDotSegment(code)) return escaped(0x2e).repeat(code.length);
  let out = '';
  for (const character of code) {
    const unsafe = UNSAFE_CHARACTER.test(character) || PATH_SEPARATOR.test(character);
    out += unsafe ? escaped(character.codePointAt(0)!) : character;
  }
  return out;
}

/** The code `escapeOrderCode` showed as `shown` (a code typed as shown, e.g. `WEB-\u202E1001`). */
export function unescapeOrderCode(shown: string): string {
  return shown.replace(ESCAPE, (whole, astral: string | undefined, bmp: string | undefined) => {
    const codePoint = Number.parseInt(astral ?? bmp!, 16);
    return codePoint > 0x10ffff ? whole : String.fromCodePoint(codePoint);
  });
}

/**
 * Why a (trimmed) code is refused, naming the character but never showing it raw, e.g.
 * `must not contain U+202E (right-to-left override, a bidi control)`; undefined for a code the policy accepts.
 */
export function orderCodeProblem(code: string): string | undefined {
  if (isDotSegment(code)) return 'must not be "." or ".." (a path segment)';
  for (const character of code) {
    const codePoint = character.codePointAt(0)!;
    if (UNSAFE_CHARACTER.test(character)) return `must not contain ${codePointName(codePoint)} (${kindOf(character)})`;
    if (PATH_SEPARATOR.test(character)) return `must not contain ${codePointName(codePoint)} "${character}" (a path separator)`;
  }
  return undefined;
}

/** A code Stock2Shop cannot even be asked about: `/orders/<code>` would name another path. */
export function isUnaddressableOrderCode(code: string): boolean {
  return isDotSegment(code);
}
