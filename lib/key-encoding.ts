/**
 * A key string of 32+ hex digits (an even count). Hex digits are base64 characters too, so a hex key given where
 * base64 is expected decodes without error into other bytes; no real base64 key is all hex digits by chance
 * (16 of 64 symbols, 32 times over).
 */
export const looksHex = (key: string): boolean => key.length >= 32 && key.length % 2 === 0 && /^[0-9a-fA-F]+$/.test(key);
