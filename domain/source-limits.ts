/**
 * What each source accepts in the fields it receives from an order: a length and a character rule
 * per target field, applied by that source's mapping only (omni.ts, isync.ts), so an order is never
 * refused for a field its source does not take. Each rule says where it comes from. Neither seed nor
 * ../shared/sources-api.md states a length, so every length is this project's guess; iSync's
 * character rule follows from sources-api.md (its endpoint is a WCF message service: SOAP/XML).
 * The order's own code is held to the engine's code policy (order-code.ts) for every source.
 */
import { DomainValidationError } from './validation';

/** `controls`: no control character (C0, DEL, C1). `xml`: only characters XML 1.0 can carry. */
export type CharacterRule = 'controls' | 'xml';

export interface TextRule {
  /** The source's field, as reasons name it: `Omni order_lines.description`. */
  target: string;
  /** The most characters (code points) it takes. */
  max: number;
  chars: CharacterRule;
  /** Where the rule comes from, for the README's table and for whoever revisits it. */
  origin: string;
}

const GUESS = "this project's guess";
const XML_GUESS = "length: this project's guess; characters: XML 1.0 (sources-api.md: a SOAP/XML message service)";

export const OMNI_TEXT_RULES = {
  customer_account_code: { target: 'Omni customer_account_code', max: 100, chars: 'controls', origin: GUESS },
  warehouse_code: { target: 'Omni warehouse_code', max: 100, chars: 'controls', origin: GUESS },
  stock_code: { target: 'Omni order_lines.stock_code', max: 100, chars: 'controls', origin: GUESS },
  description: { target: 'Omni order_lines.description', max: 500, chars: 'controls', origin: GUESS },
} as const satisfies Record<string, TextRule>;

const deliveryDetail = (field: string): TextRule => ({ target: `iSync DeliveryDetail.${field}`, max: 255, chars: 'xml', origin: XML_GUESS });
const isyncCode = (field: string): TextRule => ({ target: `iSync ${field}`, max: 100, chars: 'controls', origin: GUESS });

export const ISYNC_TEXT_RULES = {
  CustomerCode: isyncCode('CustomerCode'),
  ProductStockID: isyncCode('Lines.ProductStockID'),
  ThirdPartyBarcode: isyncCode('Lines.ThirdPartyBarcode'),
  ContactName: deliveryDetail('ContactName'),
  Company: deliveryDetail('Company'),
  Address1: deliveryDetail('Address1'),
  Address2: deliveryDetail('Address2'),
  City: deliveryDetail('City'),
  Province: deliveryDetail('Province'),
  PostalCode: deliveryDetail('PostalCode'),
  Country: deliveryDetail('Country'),
  Phone: deliveryDetail('Phone'),
} as const satisfies Record<string, TextRule>;

const CONTROL = /\p{Cc}/u;
/** What XML 1.0's `Char` excludes (tab, LF and CR are allowed, but one-line order text holds none). */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|\p{Cs}/u;

const codePointName = (character: string) => `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** Why `text` breaks `rule`, naming the limit or the character (never the text), or undefined. */
export function sourceTextProblem(text: string, rule: TextRule): string | undefined {
  let length = 0;
  for (const character of text) {
    length += 1;
    if (rule.chars === 'controls' && CONTROL.test(character)) return `must not contain ${codePointName(character)}, a control character (${rule.target})`;
    if (rule.chars === 'xml' && NOT_XML.test(character)) return `must not contain ${codePointName(character)}, which XML cannot carry (${rule.target})`;
  }
  return length > rule.max ? `must be at most ${rule.max} characters (${rule.target})` : undefined;
}

/**
 * A checker for one order: `check(field, text, rule)` returns `text` when its source takes it, else
 * throws `DomainValidationError` naming the order and the ORDER's field (what a person fixes).
 */
export function sourceTextChecker(orderCode: string): (field: string, text: string, rule: TextRule) => string {
  return (field, text, rule) => {
    const reason = sourceTextProblem(text, rule);
    if (reason === undefined) return text;
    throw new DomainValidationError({ recordType: 'Order', record: orderCode, field, reason });
  };
}
