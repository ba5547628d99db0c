/**
 * The domain: pure schemas, rules and mappings. No I/O; safe to import from Temporal workflows.
 */
export * from './validation';
export * from './lifecycle';
export * from './values';
export * from './stock2shop';
export * from './order-code';
export * from './products';
export * from './orders';
export * from './connection';
export * from './omni';
export * from './isync';
export * from './customers';
export * from './hash';
export * from './sources';
