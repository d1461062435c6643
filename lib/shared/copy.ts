/**
 * A shallow copy of `object`'s own enumerable properties, to which properties will be added: made with
 * `Object.assign`, not spread. V8 adds a property to an object copied by spread (`{ ...object }`, or a spread
 * literal naming a key the source lacks) through a slow path: tens of thousands of instructions each, on every
 * delivery. `Object.assign` sets through a `__proto__` key where spread defines it: the rare object owning one
 * is copied by spread.
 */
export function extensibleCopy<T extends object>(object: T): T {
  return Object.hasOwn(object, '__proto__') ? { ...object } : Object.assign({}, object);
}
